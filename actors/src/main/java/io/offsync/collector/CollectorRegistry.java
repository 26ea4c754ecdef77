package io.offsync.collector;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * What the collector entities of this node are doing, for the status page: the machines whose entity runs here
 * (this node is their active collector), every open stream and how often each was opened.
 */
public final class CollectorRegistry implements Extension {

  private static final Id ID = new Id();

  private final Set<String> activeHosts = ConcurrentHashMap.newKeySet();
  private final ConcurrentHashMap<String, StreamStats> streams = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicLong> opens = new ConcurrentHashMap<>();

  private CollectorRegistry() {}

  public static CollectorRegistry get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** True when the collector entity of machine {@code host} runs on this node. */
  public boolean isActive(String host) {
    return activeHosts.contains(host);
  }

  public List<StreamStats> streams() {
    return streams.values().stream()
        .sorted((a, b) -> a.tid() != b.tid() ? Integer.compare(a.tid(), b.tid()) : Integer.compare(a.pid(), b.pid()))
        .toList();
  }

  /**
   * How many streams subtask {@code subtaskId} has opened on partition {@code tid}/{@code pid} of this node since
   * it started (the first open and every reopen).
   */
  public long opens(String subtaskId, int tid, int pid) {
    AtomicLong n = opens.get(openKey(subtaskId, tid, pid));
    return n == null ? 0 : n.get();
  }

  private static String openKey(String subtaskId, int tid, int pid) {
    return subtaskId + "/" + tid + "-" + pid;
  }

  void entityStarted(String host) {
    activeHosts.add(host);
  }

  void entityStopped(String host) {
    activeHosts.remove(host);
  }

  void streamOpened(StreamStats stats) {
    opens.computeIfAbsent(openKey(stats.subtaskId(), stats.tid(), stats.pid()), k -> new AtomicLong())
        .incrementAndGet();
    streams.put(stats.streamId(), stats);
  }

  void streamClosed(String streamId) {
    streams.remove(streamId);
  }

  private static final class Id extends ExtensionId<CollectorRegistry> {
    @Override
    public CollectorRegistry createExtension(ActorSystem<?> system) {
      return new CollectorRegistry();
    }
  }
}
