package io.keyward.verifier.routes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyward.verifier.core.Permission;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RouteTableTest {
  private static final RouteTable TABLE =
      new RouteTable(
          List.of(
              new Route("GET", "/api/v3/account", Permission.READ),
              new Route("POST", "/api/v3/order", Permission.TRADE),
              new Route("GET", "/api/v3/order", Permission.READ),
              new Route("GET", "/api/v1/orders/*/fills", Permission.READ),
              new Route("POST", "/sapi/v1/capital/withdraw/**", Permission.WITHDRAW),
              new Route("*", "/api/v1/notes/*", Permission.READ),
              new Route("GET", "/api/v3/**", Permission.READ)));

  @Test
  void anExactRouteCoversItsPathOnly() {
    assertThat(TABLE.permissionFor("POST", "/api/v3/order")).contains(Permission.TRADE);
    assertThat(TABLE.lookup("POST", "/api/v3/order/test"))
        .isEqualTo(new RouteTable.Lookup.NotFound());
    assertThat(TABLE.lookup("POST", "/api/v3")).isEqualTo(new RouteTable.Lookup.NotFound());
    assertThat(TABLE.lookup("POST", "/api/v3/orders")).isEqualTo(new RouteTable.Lookup.NotFound());
  }

  @Test
  void theMethodIsPartOfTheRoute() {
    assertThat(TABLE.permissionFor("GET", "/api/v3/order")).contains(Permission.READ);
    assertThat(TABLE.permissionFor("POST", "/api/v3/order")).contains(Permission.TRADE);
    assertThat(TABLE.lookup("DELETE", "/api/v3/order")).isEqualTo(new RouteTable.Lookup.NotFound());
    assertThat(TABLE.lookup("HEAD", "/api/v3/account")).isEqualTo(new RouteTable.Lookup.NotFound());
  }

  @Test
  void aStarIsExactlyOneSegment() {
    assertThat(TABLE.permissionFor("GET", "/api/v1/orders/42/fills")).contains(Permission.READ);
    assertThat(TABLE.lookup("GET", "/api/v1/orders/fills"))
        .isEqualTo(new RouteTable.Lookup.NotFound());
    assertThat(TABLE.lookup("GET", "/api/v1/orders/4/2/fills"))
        .isEqualTo(new RouteTable.Lookup.NotFound());
  }

  @Test
  void aSubtreeCoversItsPathAndEverythingBelowButNoLongerName() {
    assertThat(TABLE.permissionFor("POST", "/sapi/v1/capital/withdraw"))
        .contains(Permission.WITHDRAW);
    assertThat(TABLE.permissionFor("POST", "/sapi/v1/capital/withdraw/apply"))
        .contains(Permission.WITHDRAW);
    assertThat(TABLE.permissionFor("POST", "/sapi/v1/capital/withdraw/a/b/c"))
        .contains(Permission.WITHDRAW);
    assertThat(TABLE.lookup("POST", "/sapi/v1/capital/withdrawals"))
        .isEqualTo(new RouteTable.Lookup.NotFound());
    assertThat(TABLE.lookup("POST", "/sapi/v1/capital"))
        .isEqualTo(new RouteTable.Lookup.NotFound());
  }

  @Test
  void aRootSubtreeCoversEveryPath() {
    RouteTable all = new RouteTable(List.of(new Route("*", "/**", Permission.READ)));

    assertThat(all.permissionFor("GET", "/")).contains(Permission.READ);
    assertThat(all.permissionFor("PATCH", "/a/b")).contains(Permission.READ);
  }

  @Test
  void aStarMethodCoversEveryMethod() {
    for (String method : List.of("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")) {
      assertThat(TABLE.permissionFor(method, "/api/v1/notes/7")).contains(Permission.READ);
    }
  }

  @Test
  void theFirstRouteThatCoversARequestDecides() {
    Route specific = new Route("POST", "/x/orders/cancel", Permission.TRADE);
    Route general = new Route("POST", "/x/orders/**", Permission.READ);

    assertThat(new RouteTable(List.of(specific, general)).permissionFor("POST", "/x/orders/cancel"))
        .contains(Permission.TRADE);
    assertThat(new RouteTable(List.of(general, specific)).permissionFor("POST", "/x/orders/cancel"))
        .contains(Permission.READ);
    assertThat(new RouteTable(List.of(specific, general)).routes())
        .containsExactly(specific, general);
  }

  @Test
  void caseDoesNotLetARequestFallThroughToAWeakerRoute() {
    // An upstream that routes without regard to case reads this as POST /api/v3/order.
    assertThat(TABLE.permissionFor("POST", "/API/V3/ORDER")).contains(Permission.TRADE);
    assertThat(TABLE.permissionFor("post", "/api/v3/Order")).contains(Permission.TRADE);
    assertThat(TABLE.permissionFor("GET", "/Api/V3/Account")).contains(Permission.READ);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/api/v3/account/../order",
        "/api/v3/./order",
        "/api/v3/order/.",
        "/api/v3/order/..",
        "/api/v3/%2e%2e/order",
        "/api/v3/%2E%2E/order",
        "/api/v3/.%2e/order",
        "/api/v3/%2e/order",
        "/api//v3/order",
        "//api/v3/order",
        "/api/v3/order/",
        "/api/v3%2Forder",
        "/api/v3%2forder",
        "/api/v3%5Corder",
        "/api/v3\\order",
        "/api/v3/order%00",
        "/api/v3/%6Frder",
        "/api/v3/ord%65r",
        "/api/v3/order%25",
        "/api/v3/%252e%252e/order",
        "/api/v3/order;jsessionid=1",
        "/api/v3/order;",
        "/api/v3/order#x",
        "/api/v3/order%",
        "/api/v3/order%4",
        "/api/v3/order%zz",
        "/api/v3/or der",
        "/api/v3/order\t",
        "/api/v3/orde\u0000r",
        "/api/v3/ordér",
        "/api/v3/order%0a",
        "api/v3/order",
        ""
      })
  void aPathAnUpstreamCouldReadAsAnotherIsAmbiguous(String path) {
    assertThat(TABLE.lookup("POST", path)).isEqualTo(new RouteTable.Lookup.Ambiguous());
    assertThat(TABLE.permissionFor("POST", path)).isEmpty();
  }

  @Test
  void aNullPathIsAmbiguous() {
    assertThat(TABLE.lookup("GET", null)).isEqualTo(new RouteTable.Lookup.Ambiguous());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/api/v1/notes/a%20b",
        "/api/v1/notes/caf%C3%A9",
        "/api/v1/notes/a.b",
        "/api/v1/notes/...",
        "/api/v1/notes/a%3Bb",
        "/api/v1/notes/~x_y-z"
      })
  void escapesAndDotsThatNamePlainDataAreKept(String path) {
    assertThat(TABLE.permissionFor("GET", path)).contains(Permission.READ);
  }

  @Test
  void aRouteNamesTheFieldAndTheRuleItBreaks() {
    assertRefused(() -> new Route(null, "/x", Permission.READ), "routes[].method");
    assertRefused(() -> new Route("GE T", "/x", Permission.READ), "routes[].method");
    assertRefused(
        () -> new Route("GET", "x", Permission.READ), "routes[].path: required, starting with /");
    assertRefused(() -> new Route("GET", "/x/", Permission.READ), "routes[].path: no trailing /");
    assertRefused(
        () -> new Route("GET", "/x/**/y", Permission.READ), "routes[].path: * stands for");
    assertRefused(
        () -> new Route("GET", "/x/ord*", Permission.READ), "routes[].path: * stands for");
    assertRefused(
        () -> new Route("GET", "/x/../y", Permission.READ), "routes[].path: no empty or dot");
    assertRefused(
        () -> new Route("GET", "/x//y", Permission.READ), "routes[].path: no empty or dot");
    assertRefused(() -> new Route("GET", "/x/%6Frder", Permission.READ), "routes[].path");
    assertRefused(() -> new Route("GET", "/x", null), "routes[].permission");
    assertThat(new Route("get", "/x", Permission.READ).method()).isEqualTo("GET");
  }

  private static void assertRefused(Runnable r, String message) {
    assertThatThrownBy(r::run)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }
}
