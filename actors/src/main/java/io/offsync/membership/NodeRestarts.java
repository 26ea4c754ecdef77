package io.offsync.membership;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of a node process: while its actor system ends for a reason {@link ClusterMembership#restartWanted}
 * (downed by the split-brain resolver, left an island), the node is released and started again in this process,
 * after 1 s, doubling to 30 s while starts fail. Returns once the process is asked to stop (SIGTERM, Ctrl-C) or
 * the system was terminated on purpose.
 */
public final class NodeRestarts {

  /** A started node: its actor system, and what to release before a new one starts. */
  public interface Node {
    ActorSystem<?> system();

    void release() throws Exception;
  }

  private static final Logger log = LoggerFactory.getLogger(NodeRestarts.class);

  private NodeRestarts() {}

  /** Runs {@code first} and its successors from {@code start} until the process is asked to stop. */
  public static void superviseUntilStopped(String what, Node first, Callable<? extends Node> start)
      throws Exception {
    AtomicBoolean stopping = new AtomicBoolean();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stopping.set(true), what + "-stopping"));
    Node node = first;
    while (node != null) {
      node.system().getWhenTerminated().toCompletableFuture().get();
      if (stopping.get() || !ClusterMembership.restartWanted(node.system())) {
        return;
      }
      log.warn("{} left the cluster ({}); restarting its actor system to join again", what,
          CoordinatedShutdown.get(node.system()).getShutdownReason().map(Object::toString).orElse("?"));
      node.release();
      node = null;
      long backoffMs = 1000;
      while (node == null && !stopping.get()) {
        Thread.sleep(backoffMs);
        try {
          node = start.call();
        } catch (Exception e) {
          log.warn("{} restart failed, next attempt in {} ms: {}", what, backoffMs, e.toString());
          backoffMs = Math.min(backoffMs * 2, 30_000);
        }
      }
    }
  }
}
