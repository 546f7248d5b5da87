# syntax=docker/dockerfile:1
# The Keyward images: the operator (the last stage, the default) runs the same jar as
# `java -jar operator/target/keyward-operator.jar`, the verifier the same jar as
# `java -jar verifier/target/keyward-verifier.jar`.
#   docker build -t ghcr.io/keyward/keyward-operator:0.1.0 .
#   docker build --target verifier -t ghcr.io/keyward/keyward-verifier:0.1.0 .

# --- build: the shaded jar, tests skipped (CI runs them) ---
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
# Every module's pom (Maven reads them all, even with -pl), then the sources of the operator and
# of the modules it depends on (-am; its tests are compiled, not run). DockerfileTest checks both.
COPY pom.xml ./
COPY local-cluster/pom.xml local-cluster/
COPY logging/pom.xml logging/
COPY helm/pom.xml helm/
COPY verifier/pom.xml verifier/
COPY operator/pom.xml operator/
COPY bench/pom.xml bench/
RUN mvn -B -ntp -q -pl operator -am dependency:go-offline -Dspotless.check.skip=true || true
COPY local-cluster/src local-cluster/src
COPY logging/src logging/src
COPY helm/src helm/src
COPY verifier/src verifier/src
COPY operator/src operator/src
COPY crds crds
# -am builds the verifier too (the operator's tests use it), and with it its jar.
RUN mvn -B -ntp -q -pl operator -am package -DskipTests -Dspotless.check.skip=true

# --- the verifier: JRE 17 only, non-root, nothing writable but /tmp ---
FROM eclipse-temurin:17-jre AS verifier
LABEL org.opencontainers.image.title="keyward-verifier" \
      org.opencontainers.image.description="Verifies requests signed with Keyward's API keys" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
COPY --from=build /src/verifier/target/keyward-verifier.jar /app/keyward-verifier.jar
USER 65532:65532
EXPOSE 8080 9001 9090
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp" \
    MALLOC_ARENA_MAX=2
ENTRYPOINT ["java", "-jar", "/app/keyward-verifier.jar"]

# --- run: JRE 17 only, non-root, nothing writable but /tmp ---
FROM eclipse-temurin:17-jre
LABEL org.opencontainers.image.title="keyward-operator" \
      org.opencontainers.image.description="Issues and guards exchange-style API keys in Kubernetes" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
COPY --from=build /src/operator/target/keyward-operator.jar /app/keyward-operator.jar
# A numeric user, so runAsNonRoot can verify it without a passwd entry.
USER 65532:65532
EXPOSE 8080
# JVM options as the chart's javaOptions (values.yaml says why).
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=50 -XX:-TieredCompilation -XX:TrimNativeHeapInterval=5000 -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp" \
    MALLOC_ARENA_MAX=2
ENTRYPOINT ["java", "-jar", "/app/keyward-operator.jar"]
