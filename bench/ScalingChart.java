import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/**
 * Draws load-protocol messages per node per second against cluster size, one line per
 * LoadScaling output and phase, e.g. following every pool (before) and a sample (after).
 *
 * <p>Usage: java -cp CLASSES ScalingChart PNG LABEL=PHASE@FILE.jsonl... (with ThroughputChart)
 */
public class ScalingChart {
  public static void main(String[] args) throws Exception {
    List<String> labels = new ArrayList<>();
    List<TreeMap<Integer, Double>> lines = new ArrayList<>();
    Pattern nodes = Pattern.compile("\"nodes\":(\\d+)");
    Pattern msgs = Pattern.compile("\"msgs_per_node_s\":([0-9.]+)");
    double max = 1;
    int maxN = 1;
    for (int i = 1; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      String[] phaseFile = kv[1].split("@", 2);
      TreeMap<Integer, Double> line = new TreeMap<>();
      for (String row : Files.readAllLines(Path.of(phaseFile[1]))) {
        if (!row.contains("\"phase\":\"" + phaseFile[0] + "\"")) {
          continue;
        }
        Matcher n = nodes.matcher(row);
        Matcher m = msgs.matcher(row);
        if (n.find() && m.find()) {
          int x = Integer.parseInt(n.group(1));
          double y = Double.parseDouble(m.group(1));
          line.put(x, y);
          max = Math.max(max, y);
          maxN = Math.max(maxN, x);
        }
      }
      labels.add(kv[0]);
      lines.add(line);
    }
    max = ThroughputChart.niceCeil(max);
    int left = 70, top = 60, pw = 620, ph = 340, w = left + pw + 40, h = top + ph + 100;
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = ThroughputChart.canvas(img);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.drawString("Load-protocol messages sent + received per node per second, by cluster size", left - 40, 26);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    g.drawString("(bench/LoadScaling.java: one-worker nodes; idle, and 70 % steady load of 50 ms tasks on every node)",
        left - 40, 44);
    for (int t = 0; t <= 4; t++) {
      int y = top + ph - (int) (ph * t / 4.0);
      g.setColor(new Color(0xDDDDDD));
      g.drawLine(left, y, left + pw, y);
      g.setColor(Color.DARK_GRAY);
      g.drawString(String.format("%,.0f", max * t / 4), left - 45, y + 4);
    }
    for (int n = 0; n <= maxN; n += 4) {
      int x = left + (int) (pw * n / (double) maxN);
      g.drawString(Integer.toString(n), x - 6, top + ph + 18);
    }
    g.drawString("nodes", left + pw / 2 - 15, top + ph + 36);
    Color[] colors = {new Color(0xAAAAAA), new Color(0xD9534F), new Color(0x444444), new Color(0x5B8DEF)};
    g.setStroke(new BasicStroke(2.5f));
    for (int i = 0; i < lines.size(); i++) {
      g.setColor(colors[i % colors.length]);
      int px = -1, py = -1;
      for (var e : lines.get(i).entrySet()) {
        int x = left + (int) (pw * e.getKey() / (double) maxN);
        int y = top + ph - (int) (ph * e.getValue() / max);
        g.fillOval(x - 4, y - 4, 8, 8);
        if (px >= 0) {
          g.drawLine(px, py, x, y);
        }
        g.drawString(String.format("%,.0f", e.getValue()), x + 5, y - 6);
        px = x;
        py = y;
      }
      int lx = left - 40 + (i % 2) * 340;
      int ly = top + ph + 48 + (i / 2) * 20;
      g.fillRect(lx, ly, 14, 14);
      g.setColor(Color.BLACK);
      g.drawString(labels.get(i), lx + 20, ly + 12);
    }
    ImageIO.write(img, "png", new File(args[0]));
  }
}
