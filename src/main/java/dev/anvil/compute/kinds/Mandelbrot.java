package dev.anvil.compute.kinds;

import static dev.anvil.compute.spi.InvalidInputException.inRange;
import static dev.anvil.compute.spi.InvalidInputException.require;

import dev.anvil.compute.spi.ComputeTask;
import dev.anvil.compute.spi.TaskContext;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Base64;
import javax.imageio.ImageIO;

/** Renders a view of the Mandelbrot set to a PNG, coloured by smoothed escape time. */
public final class Mandelbrot implements ComputeTask<Mandelbrot.Input, Mandelbrot.Result> {

  public static final int MAX_SIDE = 2048;
  public static final int MAX_PIXELS = 1 << 20;
  public static final int MAX_ITERATIONS = 10_000;
  /** Bound on pixels x maxIterations: a few seconds of one core at worst. */
  public static final long MAX_WORK = 2_000_000_000L;

  static {
    ImageIO.setUseCache(false); // encode in memory, never through temporary files
  }

  /**
   * Every field is optional. {@code scale} is the width of the view in the complex plane;
   * the height follows from the aspect ratio.
   */
  public record Input(
      Integer width, Integer height, Integer maxIterations, Double centerX, Double centerY, Double scale) {
    public Input {
      width = width == null ? 512 : width;
      height = height == null ? 384 : height;
      maxIterations = maxIterations == null ? 256 : maxIterations;
      centerX = centerX == null ? -0.6 : centerX;
      centerY = centerY == null ? 0.0 : centerY;
      scale = scale == null ? 3.2 : scale;
    }
  }

  public record Result(int width, int height, String png) {}

  @Override
  public String kind() {
    return "mandelbrot";
  }

  @Override
  public String description() {
    return "Renders the Mandelbrot set to a base64 PNG; at most " + MAX_PIXELS + " pixels and "
        + MAX_ITERATIONS + " iterations";
  }

  @Override
  public Class<Input> inputType() {
    return Input.class;
  }

  @Override
  public Input exampleInput() {
    return new Input(64, 48, 100, -0.6, 0.0, 3.2);
  }

  @Override
  public void validate(Input input) {
    long width = inRange(input.width(), "width", 1, MAX_SIDE);
    long height = inRange(input.height(), "height", 1, MAX_SIDE);
    require(width * height <= MAX_PIXELS, "height",
        "width x height must be at most " + MAX_PIXELS + " pixels, was " + width * height);
    long iterations = inRange(input.maxIterations(), "maxIterations", 1, MAX_ITERATIONS);
    require(width * height * iterations <= MAX_WORK, "maxIterations",
        "width x height x maxIterations must be at most " + MAX_WORK);
    require(Math.abs(input.centerX()) <= 4, "centerX", "centerX must be between -4 and 4");
    require(Math.abs(input.centerY()) <= 4, "centerY", "centerY must be between -4 and 4");
    require(input.scale() >= 1e-13 && input.scale() <= 16, "scale", "scale must be between 1e-13 and 16");
  }

  @Override
  public Result run(Input input, TaskContext context) throws IOException {
    int w = input.width();
    int h = input.height();
    int max = input.maxIterations();
    double step = input.scale() / w;
    double left = input.centerX() - step * w / 2;
    double top = input.centerY() + step * h / 2;
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      context.checkCancelled();
      context.reportProgress((double) y / h);
      double ci = top - y * step;
      for (int x = 0; x < w; x++) {
        image.setRGB(x, y, colour(left + x * step, ci, max));
      }
    }
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(image, "png", png);
    return new Result(w, h, Base64.getEncoder().encodeToString(png.toByteArray()));
  }

  private static int colour(double cr, double ci, int max) {
    double zr = 0;
    double zi = 0;
    int n = 0;
    while (n < max && zr * zr + zi * zi <= 256) {
      double t = zr * zr - zi * zi + cr;
      zi = 2 * zr * zi + ci;
      zr = t;
      n++;
    }
    if (n >= max) {
      return 0;
    }
    double smooth = n + 1 - Math.log(Math.log(Math.sqrt(zr * zr + zi * zi))) / Math.log(2);
    double t = 0.1 * smooth;
    int r = (int) (127.5 * (1 + Math.cos(t + 3.0)));
    int g = (int) (127.5 * (1 + Math.cos(t + 3.9)));
    int b = (int) (127.5 * (1 + Math.cos(t + 4.8)));
    return (r << 16) | (g << 8) | b;
  }
}
