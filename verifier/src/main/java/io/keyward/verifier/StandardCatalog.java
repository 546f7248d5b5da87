package io.keyward.verifier;

import io.keyward.verifier.routes.Presets;
import io.keyward.verifier.routes.RouteTable;
import io.keyward.verifier.scheme.Scheme;
import io.keyward.verifier.scheme.SchemeSettings;
import io.keyward.verifier.scheme.Schemes;
import io.keyward.verifier.server.VerifierConfig;
import java.time.Clock;
import java.util.List;

/** The schemes and route presets that ship with the verifier. */
public final class StandardCatalog implements KeywardVerifier.Catalog {
  @Override
  public List<Scheme> schemes(VerifierConfig config, Clock clock) {
    SchemeSettings settings =
        new SchemeSettings(
            config.recvWindowDefaultMillis(),
            config.recvWindowMaxMillis(),
            config.htxHost().isEmpty() ? null : config.htxHost(),
            SchemeSettings.defaults().htxWindowMillis());
    return Schemes.standard(settings, clock).all();
  }

  @Override
  public RouteTable preset(String name) {
    return Presets.named(name);
  }
}
