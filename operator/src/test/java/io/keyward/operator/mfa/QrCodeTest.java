package io.keyward.operator.mfa;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.zxing.BinaryBitmap;
import com.google.zxing.DecodeHintType;
import com.google.zxing.RGBLuminanceSource;
import com.google.zxing.common.HybridBinarizer;
import com.google.zxing.qrcode.QRCodeReader;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

public class QrCodeTest {
  /**
   * Reads a QR code PNG back to its text. As a pure barcode (upright, its quiet zone, nothing else
   * in the picture, which is what QrCode draws): ZXing's finder-pattern detector failed on 15 of
   * 2,000 of our PNGs (ChecksumException), so TotpIT failed about once in 130 runs.
   */
  public static String decode(byte[] png) throws Exception {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
    int[] pixels =
        image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    return new QRCodeReader()
        .decode(
            new BinaryBitmap(
                new HybridBinarizer(
                    new RGBLuminanceSource(image.getWidth(), image.getHeight(), pixels))),
            Map.of(DecodeHintType.PURE_BARCODE, Boolean.TRUE))
        .getText();
  }

  @Test
  void thePngDecodesToTheUri() throws Exception {
    String uri = Totp.otpauthUri("alice", new Totp().newSecret());
    byte[] png = QrCode.png(uri);
    assertThat(png).startsWith(0x89, 'P', 'N', 'G');
    assertThat(decode(png)).isEqualTo(uri);
  }
}
