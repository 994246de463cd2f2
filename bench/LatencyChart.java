import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * Draws /health latency over time from HealthProbe's CSV: each phase (idle, loaded) side by
 * side on one time axis, each request a dot, each phase's p99 a line.
 *
 * Usage: java bench/LatencyChart.java CSV PNG TITLE
 */
public class LatencyChart {
  public static void main(String[] args) throws Exception {
    Map<String, List<double[]>> phases = new LinkedHashMap<>();
    for (String line : Files.readAllLines(Path.of(args[0]))) {
      String[] f = line.split(",");
      phases.computeIfAbsent(f[0], k -> new ArrayList<>())
          .add(new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[2])});
    }
    int w = 1000, h = 420, left = 70, right = 20, top = 50, bottom = 50;
    double maxY = 1;
    double totalX = 0;
    for (List<double[]> points : phases.values()) {
      for (double[] p : points) {
        maxY = Math.max(maxY, p[1]);
      }
      totalX += points.get(points.size() - 1)[0] + 0.5;
    }
    maxY = Math.min(Math.ceil(maxY * 1.1), 50); // points above 50 ms are drawn at the top edge
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, w, h);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    g.setColor(Color.DARK_GRAY);
    g.drawString(args[2], left, 28);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    int plotW = w - left - right, plotH = h - top - bottom;
    for (int i = 0; i <= 5; i++) { // y grid
      double v = maxY * i / 5;
      int y = top + plotH - (int) (plotH * v / maxY);
      g.setColor(new Color(230, 230, 230));
      g.drawLine(left, y, left + plotW, y);
      g.setColor(Color.GRAY);
      g.drawString(String.format("%.1f ms", v), 8, y + 4);
    }
    Color[] colours = {new Color(40, 120, 200), new Color(220, 90, 40), new Color(60, 160, 80)};
    double offset = 0;
    int c = 0;
    for (Map.Entry<String, List<double[]>> phase : phases.entrySet()) {
      List<double[]> points = phase.getValue();
      double span = points.get(points.size() - 1)[0] + 0.5;
      int x0 = left + (int) (plotW * offset / totalX);
      int x1 = left + (int) (plotW * (offset + span) / totalX);
      g.setColor(c % 2 == 0 ? new Color(248, 250, 255) : new Color(255, 248, 244));
      g.fillRect(x0, top, x1 - x0, plotH);
      g.setColor(colours[c % colours.length]);
      for (double[] p : points) {
        int x = left + (int) (plotW * (offset + p[0]) / totalX);
        int y = top + plotH - (int) (plotH * Math.min(p[1], maxY) / maxY);
        g.fillOval(x - 2, y - 2, 4, 4);
      }
      double[] sorted = points.stream().mapToDouble(p -> p[1]).sorted().toArray();
      double p99 = sorted[(int) Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)];
      double p50 = sorted[(int) Math.ceil(0.5 * sorted.length) - 1];
      int yP99 = top + plotH - (int) (plotH * Math.min(p99, maxY) / maxY);
      g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0));
      g.drawLine(x0, yP99, x1, yP99);
      g.setStroke(new BasicStroke(1));
      g.drawString(String.format("%s: p50 %.2f ms, p99 %.2f ms", phase.getKey(), p50, p99), x0 + 8, top + 16);
      offset += span;
      c++;
    }
    g.setColor(Color.GRAY);
    g.drawRect(left, top, plotW, plotH);
    g.drawString("time (s): each phase from its own start; one dot per /health request", left, h - 18);
    g.dispose();
    ImageIO.write(image, "png", new File(args[1]));
  }
}
