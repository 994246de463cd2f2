package dev.anvil.compute.kinds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.compute.spi.InvalidInputException;
import dev.anvil.compute.spi.TaskCancelledException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class MandelbrotTest {

  private final Mandelbrot mandelbrot = new Mandelbrot();

  @Test
  void rendersAPngOfTheAskedSize() throws Exception {
    Mandelbrot.Result result = mandelbrot.run(new Mandelbrot.Input(120, 80, 200, -0.6, 0.0, 3.2), Contexts.unlimited());
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(result.png())));
    assertThat(image.getWidth()).isEqualTo(120);
    assertThat(image.getHeight()).isEqualTo(80);
    // The centre (-0.6, 0) lies inside the set: black. The top-left corner lies far outside it: coloured.
    assertThat(image.getRGB(60, 40) & 0xFFFFFF).isZero();
    assertThat(image.getRGB(0, 0) & 0xFFFFFF).isNotZero();
  }

  @Test
  void fillsInDefaultsForMissingFields() {
    Mandelbrot.Input input = new Mandelbrot.Input(null, null, null, null, null, null);
    mandelbrot.validate(input);
    assertThat(input.width()).isPositive();
  }

  @Test
  void stopsWhenCancelled() {
    assertThatThrownBy(() -> mandelbrot.run(new Mandelbrot.Input(1024, 1024, 10_000, -0.6, 0.0, 3.2),
        Contexts.cancelled())).isInstanceOf(TaskCancelledException.class);
  }

  @Test
  void namesTheBoundABadInputBreaks() {
    assertField(new Mandelbrot.Input(0, 10, 10, 0.0, 0.0, 1.0), "width");
    assertField(new Mandelbrot.Input(10, Mandelbrot.MAX_SIDE + 1, 10, 0.0, 0.0, 1.0), "height");
    assertField(new Mandelbrot.Input(2048, 2048, 10, 0.0, 0.0, 1.0), "height");
    assertField(new Mandelbrot.Input(10, 10, 0, 0.0, 0.0, 1.0), "maxIterations");
    assertField(new Mandelbrot.Input(1024, 1024, 5000, 0.0, 0.0, 1.0), "maxIterations");
    assertField(new Mandelbrot.Input(10, 10, 10, 5.0, 0.0, 1.0), "centerX");
    assertField(new Mandelbrot.Input(10, 10, 10, 0.0, Double.POSITIVE_INFINITY, 1.0), "centerY");
    assertField(new Mandelbrot.Input(10, 10, 10, 0.0, 0.0, 0.0), "scale");
  }

  private void assertField(Mandelbrot.Input input, String field) {
    assertThatThrownBy(() -> mandelbrot.validate(input))
        .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo(field));
  }
}
