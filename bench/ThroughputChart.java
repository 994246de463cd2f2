import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/**
 * Draws tasks/s by task size and system from run.sh's results: one panel per task size, each
 * with its own scale, a bar per system (raw limits where they mean something).
 *
 * Usage: java bench/ThroughputChart.java RESULTS_JSON PNG
 */
public class ThroughputChart {
  public static void main(String[] args) throws Exception {
    String json = Files.readString(Path.of(args[0]));
    Map<String, Double> f = new HashMap<>();
    Matcher m = Pattern.compile("\"([a-z0-9_]+)\": (-?[0-9.eE+-]+|NaN)").matcher(json);
    while (m.find()) {
      f.putIfAbsent(m.group(1), m.group(2).equals("NaN") ? Double.NaN : Double.parseDouble(m.group(2)));
    }
    String[] sizes = {"empty", "1ms", "10ms"};
    String[] titles = {"near-empty (sieve 10)", "~1 ms (sieve 200,000)", "~10 ms (sieve 2,000,000)"};
    String[][] bars = {{"anvil_tps_", "Anvil start"}, {"node_tps_", "Node cluster + Piscina"},
        {"floor_tps_", "Pekko HTTP floor"}, {"raw_java_", "raw Java"}, {"raw_js_", "raw JavaScript"}};
    Color[] colors = {new Color(0xD9534F), new Color(0x5CB85C), new Color(0x5B8DEF), new Color(0x888888),
        new Color(0xBBBBBB)};
    int pw = 330, ph = 330, top = 70, bottom = 80, left = 60, w = left + pw * 3 + 20, h = top + ph + bottom;
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(img);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    g.drawString("Tasks/s by task size, " + "one run of bench/run.sh (median of its rounds)", left, 28);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    for (int p = 0; p < sizes.length; p++) {
      int x0 = left + p * pw;
      double max = 1;
      for (String[] b : bars) {
        double v = f.getOrDefault(b[0] + sizes[p], Double.NaN);
        if (!Double.isNaN(v)) {
          max = Math.max(max, v);
        }
      }
      max = niceCeil(max);
      g.setColor(Color.BLACK);
      g.drawString(titles[p], x0 + 10, top - 12);
      g.setColor(new Color(0xDDDDDD));
      for (int t = 0; t <= 4; t++) {
        int y = top + ph - (int) (ph * t / 4.0);
        g.drawLine(x0, y, x0 + pw - 30, y);
        g.setColor(Color.DARK_GRAY);
        g.drawString(String.format("%,.0f", max * t / 4), x0 + 2, y - 2);
        g.setColor(new Color(0xDDDDDD));
      }
      int bw = (pw - 60) / bars.length;
      for (int b = 0; b < bars.length; b++) {
        double v = f.getOrDefault(bars[b][0] + sizes[p], Double.NaN);
        if (Double.isNaN(v) || v > max) {
          continue; // the raw limit of a near-empty task has no meaning here
        }
        int bh = (int) (ph * v / max);
        int x = x0 + 20 + b * bw;
        g.setColor(colors[b]);
        g.fillRect(x, top + ph - bh, bw - 6, bh);
        g.setColor(Color.BLACK);
        g.drawString(String.format("%,.0f", v), x, top + ph - bh - 4);
      }
    }
    g.setStroke(new BasicStroke(1));
    for (int b = 0; b < bars.length; b++) {
      int x = left + b * 180;
      g.setColor(colors[b]);
      g.fillRect(x, top + ph + 30, 14, 14);
      g.setColor(Color.BLACK);
      g.drawString(bars[b][1], x + 20, top + ph + 42);
    }
    ImageIO.write(img, "png", new File(args[1]));
  }

  /** A white, antialiased canvas over the whole image, drawing in black. */
  static Graphics2D canvas(BufferedImage img) {
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    g.setColor(Color.BLACK);
    return g;
  }

  static double niceCeil(double v) {
    double e = Math.pow(10, Math.floor(Math.log10(v)));
    for (double step : new double[] {1, 2, 2.5, 5, 10}) {
      if (step * e >= v) {
        return step * e;
      }
    }
    return 10 * e;
  }
}
