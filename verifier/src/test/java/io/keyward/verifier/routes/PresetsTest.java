package io.keyward.verifier.routes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyward.verifier.core.Permission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class PresetsTest {

  @Test
  void thePresetsAreTheFourExchangesAndKeywardsOwn() {
    assertThat(Presets.names()).containsExactly("keyward", "binance", "okx", "bybit", "htx");
    for (String name : Presets.names()) {
      assertThat(Presets.named(name).routes()).as(name).isNotEmpty();
    }
  }

  @Test
  void anUnknownPresetNamesTheKnownOnes() {
    assertThatThrownBy(() -> Presets.named("kraken"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no route preset named so")
        .hasMessageContaining("keyward, binance, okx, bybit, htx");
    assertThatThrownBy(() -> Presets.named("Binance")).isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * Documented paths of each exchange (its REST API reference) and of Keyward's layout, with the
   * permission each needs; {@code none}: not in the preset, refused.
   */
  @ParameterizedTest(name = "{0}: {1} {2} -> {3}")
  @CsvSource({
    // Binance spot
    "binance, POST, /api/v3/order, trade",
    "binance, GET, /api/v3/order, read",
    "binance, DELETE, /api/v3/order, trade",
    "binance, POST, /api/v3/order/test, trade",
    "binance, POST, /api/v3/order/cancelReplace, trade",
    "binance, DELETE, /api/v3/openOrders, trade",
    "binance, GET, /api/v3/openOrders, read",
    "binance, POST, /api/v3/orderList/oco, trade",
    "binance, GET, /api/v3/allOrders, read",
    "binance, GET, /api/v3/account, read",
    "binance, GET, /api/v3/myTrades, read",
    "binance, GET, /api/v3/depth, read",
    "binance, GET, /api/v3/klines, read",
    "binance, GET, /api/v3/ticker/price, read",
    "binance, POST, /sapi/v1/capital/withdraw/apply, withdraw",
    "binance, GET, /sapi/v1/capital/withdraw/history, read",
    "binance, GET, /sapi/v1/capital/deposit/address, read",
    "binance, GET, /sapi/v1/capital/config/getall, read",
    "binance, POST, /sapi/v1/asset/transfer, withdraw",
    "binance, GET, /sapi/v1/asset/transfer, read",
    "binance, POST, /sapi/v3/asset/getUserAsset, read",
    "binance, POST, /sapi/v1/sub-account/transfer/subToSub, withdraw",
    "binance, POST, /sapi/v1/sub-account/universalTransfer, withdraw",
    "binance, GET, /sapi/v1/account/apiRestrictions, read",
    "binance, POST, /sapi/v1/margin/order, trade",
    "binance, GET, /sapi/v1/margin/order, read",
    "binance, GET, /api/v3/nonexistent, none",
    "binance, PUT, /api/v3/order, none",
    "binance, POST, /sapi/v1/capital/deposit/address, none",
    "binance, POST, /sapi/v1/capital/withdraw/apply/extra, none",
    "binance, GET, /api/v5/trade/order, none",
    // OKX v5
    "okx, POST, /api/v5/trade/order, trade",
    "okx, GET, /api/v5/trade/order, read",
    "okx, POST, /api/v5/trade/cancel-order, trade",
    "okx, POST, /api/v5/trade/amend-order, trade",
    "okx, POST, /api/v5/trade/batch-orders, trade",
    "okx, POST, /api/v5/trade/order-algo, trade",
    "okx, GET, /api/v5/trade/orders-pending, read",
    "okx, GET, /api/v5/trade/fills, read",
    "okx, GET, /api/v5/account/balance, read",
    "okx, GET, /api/v5/account/positions, read",
    "okx, POST, /api/v5/account/set-leverage, trade",
    "okx, POST, /api/v5/asset/withdrawal, withdraw",
    "okx, POST, /api/v5/asset/cancel-withdrawal, withdraw",
    "okx, POST, /api/v5/asset/transfer, withdraw",
    "okx, POST, /api/v5/asset/convert/trade, trade",
    "okx, GET, /api/v5/asset/balances, read",
    "okx, GET, /api/v5/asset/deposit-address, read",
    "okx, GET, /api/v5/asset/withdrawal-history, read",
    "okx, POST, /api/v5/users/subaccount/transfer, withdraw",
    "okx, GET, /api/v5/market/ticker, read",
    "okx, GET, /api/v5/public/instruments, read",
    "okx, DELETE, /api/v5/trade/order, none",
    "okx, GET, /api/v5/nonexistent/x, none",
    "okx, GET, /api/v3/account, none",
    // Bybit v5
    "bybit, POST, /v5/order/create, trade",
    "bybit, GET, /v5/order/realtime, read",
    "bybit, POST, /v5/order/amend, trade",
    "bybit, POST, /v5/order/cancel, trade",
    "bybit, POST, /v5/order/cancel-all, trade",
    "bybit, GET, /v5/order/history, read",
    "bybit, GET, /v5/execution/list, read",
    "bybit, GET, /v5/position/list, read",
    "bybit, POST, /v5/position/set-leverage, trade",
    "bybit, GET, /v5/account/wallet-balance, read",
    "bybit, GET, /v5/account/fee-rate, read",
    "bybit, POST, /v5/asset/withdraw/create, withdraw",
    "bybit, POST, /v5/asset/withdraw/cancel, withdraw",
    "bybit, GET, /v5/asset/withdraw/query-record, read",
    "bybit, POST, /v5/asset/transfer/inter-transfer, withdraw",
    "bybit, POST, /v5/asset/transfer/universal-transfer, withdraw",
    "bybit, GET, /v5/asset/deposit/query-address, read",
    "bybit, GET, /v5/market/tickers, read",
    "bybit, GET, /v5/user/query-api, read",
    "bybit, POST, /v5/market/tickers, none",
    "bybit, GET, /v5/nonexistent, none",
    "bybit, POST, /v3/private/order, none",
    // HTX spot
    "htx, POST, /v1/order/orders/place, trade",
    "htx, GET, /v1/order/orders/59378, read",
    "htx, POST, /v1/order/orders/59378/submitcancel, trade",
    "htx, POST, /v1/order/orders/batchcancel, trade",
    "htx, GET, /v1/order/openOrders, read",
    "htx, GET, /v1/order/matchresults, read",
    "htx, POST, /v2/algo-orders, trade",
    "htx, GET, /v2/algo-orders/opening, read",
    "htx, POST, /v1/dw/withdraw/api/create, withdraw",
    "htx, POST, /v1/dw/withdraw-virtual/1171/cancel, withdraw",
    "htx, GET, /v1/query/deposit-withdraw, read",
    "htx, POST, /v1/account/transfer, withdraw",
    "htx, POST, /v1/subuser/transfer, withdraw",
    "htx, GET, /v1/account/accounts, read",
    "htx, GET, /v1/account/accounts/100009/balance, read",
    "htx, GET, /v2/account/deposit/address, read",
    "htx, GET, /v2/account/withdraw/quota, read",
    "htx, POST, /v1/margin/orders, trade",
    "htx, GET, /market/history/kline, read",
    "htx, GET, /v1/common/symbols, read",
    "htx, POST, /market/history/kline, none",
    "htx, POST, /v1/dw/unknown, none",
    "htx, GET, /v3/anything, none",
    // Keyward's own layout
    "keyward, GET, /api/v1/market/tickers, read",
    "keyward, GET, /api/v1/account, read",
    "keyward, GET, /api/v1/account/balances, read",
    "keyward, GET, /api/v1/orders, read",
    "keyward, GET, /api/v1/orders/ord-42, read",
    "keyward, POST, /api/v1/orders, trade",
    "keyward, PATCH, /api/v1/orders/ord-42, trade",
    "keyward, DELETE, /api/v1/orders/ord-42, trade",
    "keyward, GET, /api/v1/fills, read",
    "keyward, GET, /api/v1/deposits/addresses, read",
    "keyward, GET, /api/v1/withdrawals, read",
    "keyward, POST, /api/v1/withdrawals, withdraw",
    "keyward, DELETE, /api/v1/withdrawals/wd-7, withdraw",
    "keyward, POST, /api/v1/transfers, withdraw",
    "keyward, POST, /api/v1/account, none",
    "keyward, POST, /api/v1/market/tickers, none",
    "keyward, GET, /api/v2/orders, none",
    "keyward, GET, /api/v1, none"
  })
  void aDocumentedPathNeedsThePermissionOfWhatItDoes(
      String preset, String method, String path, String permission) {
    RouteTable.Lookup lookup = Presets.named(preset).lookup(method, path);

    if (permission.equals("none")) {
      assertThat(lookup).isEqualTo(new RouteTable.Lookup.NotFound());
    } else {
      assertThat(lookup).isEqualTo(new RouteTable.Lookup.Found(Permission.fromWire(permission)));
    }
  }

  /** No route is hidden behind an earlier, more general one that asks for another permission. */
  @ParameterizedTest
  @MethodSource("names")
  void everyRouteDecidesForItsOwnPaths(String preset) {
    RouteTable table = Presets.named(preset);
    for (Route route : table.routes()) {
      String path = route.path().replace("/**", "").replace("*", "x1");
      String below = route.path().endsWith("/**") ? path + "/x2" : path;
      String method = route.method().equals("*") ? "GET" : route.method();
      for (String p : new String[] {path, below}) {
        assertThat(table.permissionFor(method, p))
            .as("%s %s in %s (%s)", method, p, preset, route)
            .contains(route.permission());
      }
    }
  }

  static Iterable<String> names() {
    return Presets.names();
  }
}
