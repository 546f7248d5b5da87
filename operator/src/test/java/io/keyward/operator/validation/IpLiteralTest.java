package io.keyward.operator.validation;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpLiteralTest {
  @ParameterizedTest
  @CsvSource({
    "203.0.113.10,203.0.113.10",
    "0.0.0.0,0.0.0.0",
    "2001:db8::1,2001:db8::1",
    "2001:DB8:0:0:0:0:0:1,2001:db8::1",
    "::1,::1",
    "::,::",
    "fe80::1:0:0:1,fe80::1:0:0:1",
    "2001:db8:0:0:1:0:0:1,2001:db8::1:0:0:1",
    "::ffff:192.0.2.1,::ffff:c000:201",
    "::FFFF:10.0.0.1,::ffff:a00:1",
    "2001:0db8:0000::0001,2001:db8::1",
    "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    "1:2:3:4:5:6:7:8,1:2:3:4:5:6:7:8"
  })
  void canonicalises(String text, String canonical) {
    assertThat(IpLiteral.canonical(text)).contains(canonical);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "999.1.1.1",
        "1.2.3",
        "1.2.3.4.5",
        "01.2.3.4",
        "host.example",
        "10.0.0.0/8",
        "1:2:3:4:5:6:7:8:9",
        "1::2::3",
        "fe80::1%eth0",
        "fe80::1%25eth0",
        "12345::1",
        "::g",
        "",
        " 1.2.3.4",
        "1.2.3.4 ",
        "1.2.3.4\n",
        "\t::1",
        "\u00a01.2.3.4",
        "1.2.3.4\u200b",
        "010.0.0.1",
        "1.2.3.04",
        "::ffff:010.0.0.1",
        "[::1]",
        "1.2.3.4:80",
        "::1/128",
        "１.２.３.４",
        "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2555"
      })
  void refuses(String text) {
    assertThat(IpLiteral.canonical(text)).isEmpty();
  }

  @org.junit.jupiter.api.Test
  void nullAndOversizedAreNoAddress() {
    assertThat(IpLiteral.canonical(null)).isEmpty();
    assertThat(IpLiteral.canonical("1".repeat(41_000))).isEmpty();
  }
}
