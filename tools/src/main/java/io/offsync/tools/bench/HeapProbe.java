package io.offsync.tools.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * The heap of this JVM during a sync, three ways: the peak of heap in use (sampled every 100 ms, garbage included:
 * what {@code -Xmx} must hold); the peak of heap in use right after a collection (every GC reported by its JMX
 * notification: live data plus old garbage that a young collection leaves, so an upper bound of live); and, only
 * when {@link #reset(boolean)} asks for it, the live heap itself: a full GC every 300 ms ({@code System.gc()}) and
 * the heap in use at its end, as its GC notification reports it (read afterwards, the heap in use already holds the
 * TLABs the running threads took since, tens of MB). The full GCs pause the nodes, so a sync with the live probe is
 * not timed.
 */
final class HeapProbe implements AutoCloseable {

  private final List<MemoryPoolMXBean> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
      .filter(p -> p.getType() == MemoryType.HEAP).toList();
  private final Set<String> heapPoolNames = heapPools.stream().map(MemoryPoolMXBean::getName)
      .collect(Collectors.toSet());
  /** The cause a JVM reports for a collection {@code System.gc()} asked for. */
  private static final String EXPLICIT_GC = "System.gc()";
  private final AtomicLong peak = new AtomicLong();
  private final AtomicLong peakAfterGc = new AtomicLong();
  private final AtomicLong peakLive = new AtomicLong(-1);
  private final Thread sampler = new Thread(this::sample, "heap-sampler");
  private volatile boolean running = true;
  private volatile boolean probeLive;

  HeapProbe() {
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof NotificationEmitter emitter) {
        emitter.addNotificationListener((n, handback) -> {
          if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
            GarbageCollectionNotificationInfo info =
                GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
            long after = info.getGcInfo().getMemoryUsageAfterGc().entrySet().stream()
                .filter(e -> heapPoolNames.contains(e.getKey())).mapToLong(e -> e.getValue().getUsed()).sum();
            peakAfterGc.accumulateAndGet(after, Math::max);
            if (probeLive && EXPLICIT_GC.equals(info.getGcCause())) {
              peakLive.accumulateAndGet(after, Math::max); // at the end of the full GC, before any thread allocates
            }
          }
        }, null, null);
      }
    }
    sampler.setDaemon(true);
    sampler.start();
  }

  /** Starts a new measurement; {@code live}: also force a full GC every 300 ms and record the heap after it. */
  void reset(boolean live) {
    peak.set(0);
    peakAfterGc.set(0);
    peakLive.set(-1);
    probeLive = live;
  }

  long peak() {
    return peak.get();
  }

  long peakAfterGc() {
    return peakAfterGc.get();
  }

  /** Peak live heap since {@link #reset(boolean)} with {@code live}, else -1. */
  long peakLive() {
    return peakLive.get();
  }

  private void sample() {
    long lastFullGc = System.nanoTime();
    while (running) {
      long used = 0;
      for (MemoryPoolMXBean p : heapPools) {
        used += p.getUsage().getUsed();
      }
      peak.accumulateAndGet(used, Math::max);
      if (probeLive && System.nanoTime() - lastFullGc > 300_000_000L) {
        System.gc(); // its notification records the live heap
        lastFullGc = System.nanoTime();
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  @Override
  public void close() {
    running = false;
    sampler.interrupt();
  }
}
