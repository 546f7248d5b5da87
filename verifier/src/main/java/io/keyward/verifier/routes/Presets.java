package io.keyward.verifier.routes;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.keyward.verifier.core.Permission;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The route tables that ship with the verifier: one per exchange whose public signed REST paths a
 * platform mirrors ({@code binance}, {@code okx}, {@code bybit}, {@code htx}), and {@code keyward}
 * for a platform's own API. Each is a YAML file beside this class, a list of routes ({@code
 * method}, {@code path}, {@code permission}), so a preset can be copied and edited; {@code
 * routes/DESIGN.md} gives their layout.
 */
public final class Presets {
  private static final List<String> NAMES = List.of("keyward", "binance", "okx", "bybit", "htx");
  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory()).enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private static final Map<String, RouteTable> LOADED = new ConcurrentHashMap<>();

  private Presets() {}

  /** The names of the presets, in the order the documentation lists them. */
  public static List<String> names() {
    return NAMES;
  }

  /**
   * The route table of a preset.
   *
   * @throws IllegalArgumentException when no preset has this name (the message names those that
   *     exist)
   */
  public static RouteTable named(String name) {
    if (!NAMES.contains(name)) {
      throw new IllegalArgumentException(
          "no route preset named so; the presets are " + String.join(", ", NAMES));
    }
    return LOADED.computeIfAbsent(name, Presets::load);
  }

  /** A row of a preset file. */
  private record Row(String method, String path, String permission) {}

  private static RouteTable load(String name) {
    String file = name + ".yaml";
    List<Row> rows;
    try (InputStream in = Presets.class.getResourceAsStream(file)) {
      if (in == null) {
        throw new IllegalStateException("route preset " + file + " is missing from the jar");
      }
      rows = YAML.readValue(in, new TypeReference<List<Row>>() {});
    } catch (IOException e) {
      throw new UncheckedIOException("route preset " + file + " cannot be read", e);
    }
    List<Route> routes = new ArrayList<>(rows.size());
    for (int i = 0; i < rows.size(); i++) {
      Row row = rows.get(i);
      Permission permission = Permission.fromWire(row.permission());
      if (permission == null) {
        throw new IllegalStateException(
            "route preset " + file + " row " + i + ": permission is not read, trade or withdraw");
      }
      routes.add(new Route(row.method(), row.path(), permission));
    }
    return new RouteTable(routes);
  }
}
