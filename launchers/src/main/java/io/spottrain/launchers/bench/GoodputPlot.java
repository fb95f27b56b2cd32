package io.spottrain.launchers.bench;

import io.spottrain.launchers.bench.CapacityTrace.Step;
import io.spottrain.launchers.bench.Goodput.Sample;
import io.spottrain.launchers.bench.GoodputBench.SystemResult;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** The goodput benchmark's picture: world size over time (ready capacity shaded) above steps over time, one colour per system. */
final class GoodputPlot {
    private GoodputPlot() {}

    private static final int W = 1000;
    private static final int H = 660;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e)};

    static void write(Path png, List<SystemResult> systems, List<Step> schedule, long runMs, int maxNodes) throws IOException {
        System.setProperty("java.awt.headless", "true");
        var img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, W, H);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            var top = new Panel(40, 250, runMs, Math.max(1, maxNodes));
            long maxSteps = 1;
            for (SystemResult s : systems) for (Sample x : s.samples()) maxSteps = Math.max(maxSteps, x.steps());
            var bottom = new Panel(340, 250, runMs, maxSteps);
            // ready capacity, shaded
            g.setColor(new Color(0xe6e6e6));
            int prevX = top.x(0);
            for (long t = 0; t <= runMs; t += Math.max(1, runMs / 500)) {
                int ready = Math.min(maxNodes, Goodput.readyAt(schedule, t));
                int x = top.x(t);
                g.fillRect(prevX, top.y(ready), Math.max(1, x - prevX + 1), top.y(0) - top.y(ready));
                prevX = x;
            }
            top.axes(g, "world size (shaded: ready Spot nodes)", 1);
            bottom.axes(g, "steps", Math.max(1, maxSteps / 5));
            int legendX = LEFT + 10; // each label as wide as it is (fixed slots made long labels overlap)
            for (int i = 0; i < systems.size(); i++) {
                SystemResult s = systems.get(i);
                g.setColor(COLORS[i % COLORS.length]);
                g.setStroke(new BasicStroke(i == 1 ? 2.5f : 1.6f));
                var world = new Path2D.Double();
                var steps = new Path2D.Double();
                boolean first = true;
                int prevWorld = 0;
                for (Sample x : s.samples()) {
                    if (first) {
                        world.moveTo(top.x(x.atMs()), top.y(x.worldSize()));
                        steps.moveTo(bottom.x(x.atMs()), bottom.y(x.steps()));
                        first = false;
                    } else {
                        world.lineTo(top.x(x.atMs()), top.y(prevWorld)); // a step function
                        world.lineTo(top.x(x.atMs()), top.y(x.worldSize()) - i); // offset a pixel per system so equal lines stay visible
                        steps.lineTo(bottom.x(x.atMs()), bottom.y(x.steps()));
                    }
                    prevWorld = x.worldSize();
                }
                g.draw(world);
                g.draw(steps);
                g.drawString(s.system().label, legendX + 16, H - 10);
                g.fillRect(legendX, H - 16, 12, 4);
                legendX += 16 + g.getFontMetrics().stringWidth(s.system().label) + 24;
            }
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "run time, s (%.0f s)", runMs / 1000.0), W / 2 - 40, 624);
        } finally {
            g.dispose();
        }
        ImageIO.write(img, "png", png.toFile());
    }

    private record Panel(int top, int height, long maxX, long maxY) {
        int x(long t) {
            return LEFT + (int) Math.round((double) t / Math.max(1, maxX) * (W - LEFT - RIGHT));
        }

        int y(long v) {
            return top + height - (int) Math.round((double) v / Math.max(1, maxY) * height);
        }

        void axes(Graphics2D g, String title, long yTick) {
            g.setColor(Color.DARK_GRAY);
            g.setStroke(new BasicStroke(1f));
            g.drawLine(LEFT, top, LEFT, top + height);
            g.drawLine(LEFT, top + height, W - RIGHT, top + height);
            g.drawString(title, LEFT, top - 8);
            for (long v = 0; v <= maxY; v += yTick) {
                g.drawLine(LEFT - 4, y(v), LEFT, y(v));
                g.drawString(Long.toString(v), LEFT - 8 - g.getFontMetrics().stringWidth(Long.toString(v)), y(v) + 4);
            }
            long xTick = Math.max(1000, (maxX / 10 + 999) / 1000 * 1000);
            for (long t = 0; t <= maxX; t += xTick) {
                g.drawLine(x(t), top + height, x(t), top + height + 4);
                String l = Long.toString(t / 1000);
                g.drawString(l, x(t) - g.getFontMetrics().stringWidth(l) / 2, top + height + 16);
            }
        }
    }
}
