package io.keyward.chart;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.jse.JsePlatform;

/** Runs examples/argocd/apikey-health.lua the way Argo CD does: {@code obj} in, {@code hs} out. */
public final class ArgoHealth {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Argo CD's answer. */
  public record Status(String status, String message) {}

  private ArgoHealth() {}

  public static Path script() {
    return Chart.dir().getParent().getParent().resolve("examples/argocd/apikey-health.lua");
  }

  /** The health of an ApiKey (any object Jackson can serialize: the Java type or a map). */
  public static Status of(Object apiKey) {
    String lua;
    try {
      lua = Files.readString(script());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Globals globals = JsePlatform.standardGlobals();
    globals.set("obj", toLua(JSON.valueToTree(apiKey)));
    LuaValue hs = globals.load(lua, "apikey-health.lua").call();
    return new Status(hs.get("status").tojstring(), hs.get("message").optjstring(null));
  }

  private static LuaValue toLua(JsonNode node) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return LuaValue.NIL;
    }
    if (node.isObject()) {
      LuaTable t = new LuaTable();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        t.set(e.getKey(), toLua(e.getValue()));
      }
      return t;
    }
    if (node.isArray()) {
      LuaTable t = new LuaTable();
      for (int i = 0; i < node.size(); i++) {
        t.set(i + 1, toLua(node.get(i)));
      }
      return t;
    }
    if (node.isBoolean()) {
      return LuaValue.valueOf(node.booleanValue());
    }
    if (node.isIntegralNumber()) {
      return LuaValue.valueOf(node.longValue());
    }
    if (node.isNumber()) {
      return LuaValue.valueOf(node.doubleValue());
    }
    return LuaValue.valueOf(node.asText());
  }
}
