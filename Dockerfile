# syntax=docker/dockerfile:1
# The Keyward operator image: the same jar as `java -jar operator/target/keyward-operator.jar`.
#   docker build -t ghcr.io/keyward/keyward-operator:0.1.0 .

# --- build: the shaded jar, tests skipped (CI runs them) ---
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
# Every module's pom (Maven reads them all, even with -pl), then the sources of the operator and
# of the modules it depends on (-am; its tests are compiled, not run). DockerfileTest checks both.
COPY pom.xml ./
COPY local-cluster/pom.xml local-cluster/
COPY helm/pom.xml helm/
COPY operator/pom.xml operator/
COPY bench/pom.xml bench/
RUN mvn -B -ntp -q -pl operator -am dependency:go-offline -Dspotless.check.skip=true || true
COPY local-cluster/src local-cluster/src
COPY helm/src helm/src
COPY operator/src operator/src
COPY crds crds
RUN mvn -B -ntp -q -pl operator -am package -DskipTests -Dspotless.check.skip=true

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
