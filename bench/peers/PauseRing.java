// The pause workload ("message buffers") as the JVM peer of bench/pause_bench.cpp
// (runa_pauses) and bench/peers/pause_ring.go: the same operations, the same sizes
// from the same generator, the same output. Run by scripts/bench-gc-peers under
// -XX:+UseSerialGC, -XX:+UseParallelGC, -XX:+UseG1GC and -XX:+UseZGC at -Xms1g -Xmx1g.
//
//   java PauseRing [--seconds=N]      (default 20)
//
// A ring of 200,000 entries, each a small object owning a byte array of 512..1535
// bytes (about 210 MB live). Operation i replaces entry i mod 200,000 with a new
// entry and also allocates a holder of 8 byte arrays of 16..271 bytes, parked in
// slot i mod 256 of a sink (short-lived garbage). Sizes come from a xorshift64
// generator (13, 7, 17; seed 0x9E3779B97F4A7C15): per operation one draw for the
// entry, then one per holder array, size = base + ((draw >>> 32) & mask). The first
// 200,000 operations fill the ring (not timed); the timed phase runs unpaced for N
// seconds. Every 1,024 operations the program reads the clock: the longest interval
// is the longest gap the mutator saw (pauses and everything else included).
//
// Output (the lines every pause program prints; the runner parses them):
//   ops: <timed operations>
//   seconds: <length of the timed phase>
//   ops/s: <operations per second>
//   max gap per 1024 ops ms: <longest interval>
//   window uptime ms: <start> <end>     (JVM uptime: -Xlog:gc lines in it are the phase's)
//   ring check: ok
// The collector's own pause figures come from -Xlog:gc (the runner reads the log).
import java.lang.management.ManagementFactory;

public final class PauseRing {
  private static final int RING = 200_000;
  private static final int SINK = 256;
  private static final int HOLDER_ARRAYS = 8;

  private static final class Entry {
    final byte[] data;
    final long seq;

    Entry(byte[] data, long seq) {
      this.data = data;
      this.seq = seq;
    }
  }

  private static final class Holder {
    final byte[][] parts = new byte[HOLDER_ARRAYS][];
  }

  private static long rng = 0x9E3779B97F4A7C15L;

  private static long next() {
    rng ^= rng << 13;
    rng ^= rng >>> 7;
    rng ^= rng << 17;
    return rng;
  }

  private static final Entry[] ring = new Entry[RING];
  private static final Holder[] sink = new Holder[SINK];

  private static void operation(long i) {
    byte[] data = new byte[512 + (int) ((next() >>> 32) & 1023)];
    data[0] = (byte) i;
    data[data.length - 1] = (byte) i;
    ring[(int) (i % RING)] = new Entry(data, i);
    Holder h = new Holder();
    for (int k = 0; k < HOLDER_ARRAYS; ++k) {
      byte[] part = new byte[16 + (int) ((next() >>> 32) & 255)];
      part[0] = (byte) k;
      h.parts[k] = part;
    }
    sink[(int) (i % SINK)] = h;
  }

  private static boolean ringOk() {
    for (int k = 0; k < RING; ++k) {
      Entry e = ring[k];
      if (e == null || e.seq % RING != k || e.data.length < 512 || e.data.length > 1535
          || e.data[0] != (byte) e.seq || e.data[e.data.length - 1] != (byte) e.seq) {
        return false;
      }
    }
    return true;
  }

  private static void usage() {
    System.err.println("usage: java PauseRing [--seconds=N]   (N >= 1, default 20)");
  }

  public static void main(String[] args) {
    long seconds = 20;
    for (String a : args) {
      if (a.equals("--help") || a.equals("-h")) {
        usage();
        return;
      }
      if (!a.startsWith("--seconds=")) {
        System.err.println("PauseRing: unknown argument '" + a + "'");
        usage();
        System.exit(2);
      }
      try {
        seconds = Long.parseLong(a.substring("--seconds=".length()));
      } catch (NumberFormatException e) {
        seconds = 0;
      }
      if (seconds < 1) {
        System.err.println("PauseRing: bad --seconds: '" + a + "'");
        System.exit(2);
      }
    }
    long i = 0;
    for (; i < RING; ++i) {
      operation(i);
    }
    final long windowStart = ManagementFactory.getRuntimeMXBean().getUptime();
    final long start = System.nanoTime();
    final long stop = start + seconds * 1_000_000_000L;
    long last = start;
    long maxGap = 0;
    final long first = i;
    while (true) {
      for (int k = 0; k < 1024; ++k) {
        operation(i++);
      }
      long now = System.nanoTime();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      if (now >= stop) {
        break;
      }
    }
    final long windowEnd = ManagementFactory.getRuntimeMXBean().getUptime();
    double elapsed = (last - start) / 1e9;
    long ops = i - first;
    System.out.printf("ops: %d%n", ops);
    System.out.printf("seconds: %.3f%n", elapsed);
    System.out.printf("ops/s: %.0f%n", ops / elapsed);
    System.out.printf("max gap per 1024 ops ms: %.3f%n", maxGap / 1e6);
    System.out.printf("window uptime ms: %d %d%n", windowStart, windowEnd);
    boolean ok = ringOk();
    System.out.println("ring check: " + (ok ? "ok" : "FAILED"));
    if (!ok) {
      System.exit(1);
    }
  }
}
