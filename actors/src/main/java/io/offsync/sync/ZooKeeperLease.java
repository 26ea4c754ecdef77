package io.offsync.sync;

import io.offsync.protocol.zk.ZkLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorWatcher;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.coordination.lease.LeaseException;
import org.apache.pekko.coordination.lease.LeaseSettings;
import org.apache.pekko.coordination.lease.LeaseTimeoutException;
import org.apache.pekko.coordination.lease.javadsl.Lease;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Pekko coordination {@link Lease} held as an EPHEMERAL ZooKeeper node, {@code <zk_root_path>/sync_tool/lease/
 * <lease name>} ({@link ZkLayout#lease}), whose data is the owner name Pekko gives (the node's host:port). It fences
 * the {@link TableTask} shards when {@code offsync.sync.lease.enabled} is on: a shard starts its tasks (and so their
 * subtasks, which write tmp files) only while it holds its lease. Loaded by Pekko's LeaseProvider from the config
 * block {@code offsync.sync.lease}; it uses the ZooKeeper client that {@link #bind} gave the actor system
 * ({@link SyncTasks#start} binds the one of its environment).
 *
 * <p>Guarantees. At most one ZooKeeper session holds a lease at a time: acquire creates the node and succeeds when
 * it is ours (this owner and this client's session, so acquiring again is idempotent), and answers false while
 * another owner's node exists, or our owner name's node of another session (a previous incarnation of this node,
 * possibly still alive). The node disappears when its session ends: at once when the holder's process exits or
 * closes its client, after the ZooKeeper session timeout when it is killed or cut off. Release deletes the node
 * only when it is ours (answers true then, and when there is none; false when another owner holds it).
 *
 * <p>Failure behaviour. The lease counts as lost, and the callback given to acquire runs once, when the client's
 * connection is SUSPENDED or LOST (ZooKeeper unreachable: the session may expire any moment, and another node may
 * then take the lease) or the node is deleted or changed; {@link #checkLease} is false from then on and whenever
 * the connection is not CONNECTED. Pekko then stops the shard's entities and retries acquiring after
 * {@code retry-interval}. A suspended client notices the loss about a third of the session timeout before the
 * server expires the session, so a holder cut off from ZooKeeper stops its tasks before another node can start
 * them, unless its JVM stalls for longer than that (a stalled process is not fenced). heartbeat-timeout and
 * heartbeat-interval of Pekko's lease settings are not used: the holder's ZooKeeper session plays their role.
 * The flip side of the fence: tasks do not run while their node has no ZooKeeper connection (hence off by
 * default). Lease names start with the actor system name, so two offsync clusters must not share a root path.
 * Acquire and release fail with {@link LeaseTimeoutException} after {@code lease-operation-timeout} and with a
 * {@link LeaseException} when ZooKeeper is not connected; Pekko retries both.
 */
public final class ZooKeeperLease extends Lease {

  private static final Logger log = LoggerFactory.getLogger(ZooKeeperLease.class);

  private final LeaseSettings settings;
  private final Client client;
  private final Executor blocking;
  private final byte[] owner;

  /** The current acquisition, or null: each acquire that succeeds makes a new one, so old watches are moot. */
  private volatile Holding holding;

  /** Constructor called by Pekko's LeaseProvider. */
  public ZooKeeperLease(LeaseSettings settings, ExtendedActorSystem system) {
    this.settings = settings;
    this.client = Client.ID.get(system);
    this.blocking = system.dispatchers().lookup(SyncSettings.BLOCKING_DISPATCHER);
    this.owner = settings.ownerName().getBytes(StandardCharsets.UTF_8);
  }

  /** Gives the leases of {@code system} their ZooKeeper client and layout; call before any lease is used. */
  public static void bind(ClassicActorSystemProvider system, CuratorFramework zookeeper, ZkLayout layout) {
    Client.ID.get(system.classicSystem()).binding = new Binding(zookeeper, layout);
  }

  @Override
  public LeaseSettings getSettings() {
    return settings;
  }

  @Override
  public CompletionStage<Boolean> acquire() {
    return acquire(lost -> {});
  }

  @Override
  public CompletionStage<Boolean> acquire(Consumer<Optional<Throwable>> leaseLostCallback) {
    return timed("acquire", () -> {
      Binding b = connected();
      String path = b.layout().lease(settings.leaseName());
      Holding h = new Holding(b.zookeeper(), leaseLostCallback);
      for (int attempt = 0; attempt < 3; attempt++) {
        try {
          b.zookeeper().create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL)
              .forPath(path, owner);
          return hold(b, path, h);
        } catch (KeeperException.NodeExistsException e) {
          Stat stat = new Stat();
          byte[] data;
          try {
            data = b.zookeeper().getData().storingStatIn(stat).forPath(path);
          } catch (KeeperException.NoNodeException gone) {
            continue; // released meanwhile: create again
          }
          if (ours(b, data, stat)) {
            return hold(b, path, h);
          }
          log.debug("lease {} is held by {} (session {}), not by {}", settings.leaseName(),
              new String(data, StandardCharsets.UTF_8), stat.getEphemeralOwner(), settings.ownerName());
          return false;
        }
      }
      return false;
    });
  }

  /** Makes {@code h} the current acquisition: lost on a connection change or a change of the node. */
  private boolean hold(Binding b, String path, Holding h) throws Exception {
    Holding previous = holding;
    if (previous != null && previous.held()) {
      return true;
    }
    holding = h;
    b.zookeeper().getConnectionStateListenable().addListener(h);
    CuratorWatcher watch = event -> {
      if (event.getType() == Watcher.Event.EventType.NodeDeleted
          || event.getType() == Watcher.Event.EventType.NodeDataChanged) {
        h.lose("its node " + path + " was " + (event.getType() == Watcher.Event.EventType.NodeDeleted
            ? "deleted" : "changed"));
      }
    };
    if (b.zookeeper().checkExists().usingWatcher(watch).forPath(path) == null) {
      h.lose("its node " + path + " vanished");
      return false;
    }
    if (!b.zookeeper().getZookeeperClient().isConnected()) {
      h.lose("the ZooKeeper connection dropped while acquiring");
      return false;
    }
    return true;
  }

  @Override
  public CompletionStage<Boolean> release() {
    return timed("release", () -> {
      Holding h = holding;
      if (h != null) {
        h.drop();
      }
      Binding b = connected();
      String path = b.layout().lease(settings.leaseName());
      try {
        Stat stat = new Stat();
        byte[] data = b.zookeeper().getData().storingStatIn(stat).forPath(path);
        if (!ours(b, data, stat)) {
          return false;
        }
        b.zookeeper().delete().withVersion(stat.getVersion()).forPath(path);
      } catch (KeeperException.NoNodeException gone) {
        // nothing to release
      }
      return true;
    });
  }

  @Override
  public boolean checkLease() {
    Holding h = holding;
    return h != null && h.held() && h.zookeeper().getZookeeperClient().isConnected();
  }

  private boolean ours(Binding b, byte[] data, Stat stat) throws Exception {
    return Arrays.equals(data, owner)
        && stat.getEphemeralOwner() == b.zookeeper().getZookeeperClient().getZooKeeper().getSessionId();
  }

  private Binding connected() {
    Binding b = client.binding;
    if (b == null) {
      throw new LeaseException("lease " + settings.leaseName() + ": no ZooKeeper client is bound to this actor"
          + " system; ZooKeeperLease.bind (done by SyncTasks.start) must run before the lease is used");
    }
    if (!b.zookeeper().getZookeeperClient().isConnected()) {
      throw new LeaseException("lease " + settings.leaseName() + ": ZooKeeper is not connected");
    }
    return b;
  }

  /** Runs a blocking ZooKeeper operation off the caller's thread, within lease-operation-timeout. */
  private CompletionStage<Boolean> timed(String what, Callable op) {
    long timeoutMs = settings.timeoutSettings().getOperationTimeout().toMillis();
    Supplier<Boolean> run = () -> {
      try {
        return op.call();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new LeaseException("lease " + settings.leaseName() + ": " + what + " failed: " + e);
      }
    };
    return CompletableFuture.supplyAsync(run, blocking).orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
        .handle((ok, failure) -> {
          if (failure == null) {
            return ok;
          }
          Throwable t = failure instanceof CompletionException && failure.getCause() != null
              ? failure.getCause() : failure;
          if (t instanceof TimeoutException) {
            t = new LeaseTimeoutException("lease " + settings.leaseName() + ": " + what + " took longer than "
                + timeoutMs + " ms");
          }
          throw t instanceof RuntimeException r ? r : new CompletionException(t);
        });
  }

  @FunctionalInterface
  private interface Callable {
    boolean call() throws Exception;
  }

  /** One acquisition: held until lost (callback runs once) or dropped by release (no callback). */
  private final class Holding implements ConnectionStateListener {
    private final CuratorFramework zookeeper;
    private final Consumer<Optional<Throwable>> onLost;
    private volatile boolean held = true;

    Holding(CuratorFramework zookeeper, Consumer<Optional<Throwable>> onLost) {
      this.zookeeper = zookeeper;
      this.onLost = onLost;
    }

    CuratorFramework zookeeper() {
      return zookeeper;
    }

    boolean held() {
      return held;
    }

    @Override
    public void stateChanged(CuratorFramework c, ConnectionState state) {
      if (state == ConnectionState.SUSPENDED || state == ConnectionState.LOST
          || state == ConnectionState.READ_ONLY) {
        lose("the ZooKeeper connection is " + state);
      }
    }

    synchronized void lose(String why) {
      if (held) {
        drop();
        log.warn("lease {} of {} lost: {}", settings.leaseName(), settings.ownerName(), why);
        onLost.accept(Optional.of(new LeaseException("lease " + settings.leaseName() + " lost: " + why)));
      }
    }

    synchronized void drop() {
      held = false;
      zookeeper.getConnectionStateListenable().removeListener(this);
    }
  }

  private record Binding(CuratorFramework zookeeper, ZkLayout layout) {}

  /** Per actor system: the ZooKeeper client and layout its leases use. */
  static final class Client implements Extension {
    static final AbstractExtensionId<Client> ID = new AbstractExtensionId<>() {
      @Override
      public Client createExtension(ExtendedActorSystem system) {
        return new Client();
      }
    };

    private volatile Binding binding;
  }
}
