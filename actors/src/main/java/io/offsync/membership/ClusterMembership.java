package io.offsync.membership;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a node in the one offsync cluster: joins the live cluster found through ZooKeeper, forms a new one only
 * when there is none, and leaves an island so that the node's process restarts its actor system and joins again.
 *
 * <p><b>Joining.</b> Pekko's static seed nodes are not used (a first seed node that is restarted while the others
 * are down forms a second cluster; a later seed cannot start while the first is down). Instead every {@code Up}
 * member registers its address in ZooKeeper ({@link MemberDirectory}); a starting node joins the registered
 * members whose cluster port answers, plus the configured seed nodes that answer. When none answers, a node that
 * {@code mayForm} (a synctool) takes a ZooKeeper lock, looks again, and only then forms the cluster by joining
 * itself; it holds the lock until its own entry is registered, so two synctools starting at once form one
 * cluster. A collector never forms one: it waits until some member registers (a cluster without a synctool has
 * nothing for it to do). Attempts repeat every {@code offsync.cluster.join-retry} with a fresh candidate list;
 * nothing gives up.
 *
 * <p><b>Islands.</b> Once {@code Up}, the node checks every {@code join-retry} whether a registered, answering
 * synctool is outside its cluster. It leaves (coordinated shutdown with {@link #REJOIN}) when that has been so for
 * {@code offsync.cluster.island-timeout} and its own cluster either has no synctool or registered later than the
 * other one. Its process then restarts the actor system ({@link #restartWanted}), which joins the older cluster.
 *
 * <p>Failure behaviour: a ZooKeeper error skips one attempt (logged at WARN once per kind) and the next attempt
 * retries; the node stays out of the cluster meanwhile, so ZooKeeper being down delays joining but never makes a
 * node form a second cluster while a registered member still answers.
 */
public final class ClusterMembership implements AutoCloseable {

  /** Reason of the coordinated shutdown of a node that leaves an island to join the live cluster again. */
  public static final CoordinatedShutdown.Reason REJOIN = new CoordinatedShutdown.Reason() {
    @Override
    public String toString() {
      return "RejoinReason";
    }
  };

  private static final Logger log = LoggerFactory.getLogger(ClusterMembership.class);
  private static final String SYNCTOOL = "synctool";

  private final ActorSystem<?> system;
  private final Cluster cluster;
  private final MemberDirectory directory;
  private final String role;
  private final boolean mayForm;
  private final List<Address> seeds;
  private final Duration joinRetry;
  private final Duration islandTimeout;
  private final Duration probeTimeout;
  private final InterProcessMutex formationLock;
  private final ScheduledExecutorService executor;
  private final long startedNanos = System.nanoTime();

  private boolean lockHeld;
  private Set<Address> lastCandidates = Set.of();
  private long lastJoinNanos;
  private long islandSinceNanos = -1;
  private boolean waitingLogged;
  private String lastError;
  private long lastIslandCheckNanos;
  private volatile boolean registered;
  private volatile boolean closed;

  private ClusterMembership(ActorSystem<?> system, CuratorFramework zk, String zkRoot, String role,
      boolean mayForm, List<Address> seeds) {
    this.system = system;
    this.cluster = Cluster.get(system);
    this.directory = new MemberDirectory(zk, zkRoot);
    this.role = role;
    this.mayForm = mayForm;
    this.seeds = List.copyOf(seeds);
    Config c = system.settings().config().getConfig("offsync.cluster");
    this.joinRetry = c.getDuration("join-retry");
    this.islandTimeout = c.getDuration("island-timeout");
    this.probeTimeout = c.getDuration("probe-timeout");
    this.formationLock = new InterProcessMutex(zk, directory.formationLockPath());
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "offsync-membership-" + MemberDirectory.hostPort(system.address()));
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts keeping {@code system} (not yet joined; {@code pekko.cluster.seed-nodes} empty) in the cluster.
   *
   * @param role {@code synctool} or {@code collector}, written into the node's ZooKeeper entry
   * @param mayForm whether this node may form a new cluster when no registered member answers
   * @param seeds configured seed nodes, tried as well as the registered members
   */
  public static ClusterMembership start(ActorSystem<?> system, CuratorFramework zk, String zkRoot, String role,
      boolean mayForm, List<Address> seeds) {
    ClusterMembership m = new ClusterMembership(system, zk, zkRoot, role, mayForm, seeds);
    try {
      m.directory.deleteStale(system.address());
    } catch (Exception e) {
      log.warn("cannot delete the stale ZooKeeper entry of {}: {}", system.address(), e.toString());
    }
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeClusterShutdown(), "membership-deregister",
        () -> {
          m.close();
          return java.util.concurrent.CompletableFuture.completedFuture(Done.done());
        });
    long tick = Math.max(200, m.joinRetry.toMillis() / 5);
    m.executor.scheduleWithFixedDelay(m::tick, 0, tick, TimeUnit.MILLISECONDS);
    return m;
  }

  /**
   * Whether the process should start a new actor system after {@code system} terminated: it was downed, could
   * not join, or left an island ({@link #REJOIN}). Not after a requested stop (SIGTERM, {@code terminate()}).
   */
  public static boolean restartWanted(ActorSystem<?> system) {
    Optional<CoordinatedShutdown.Reason> reason = CoordinatedShutdown.get(system).getShutdownReason();
    return reason.isPresent() && (reason.get() == REJOIN
        || reason.get() == CoordinatedShutdown.clusterDowningReason()
        || reason.get() == CoordinatedShutdown.clusterJoinUnsuccessfulReason());
  }

  /** Whether this node's own entry is registered (it is Up and others can find it). */
  public boolean registered() {
    return registered;
  }

  /** Up members of role synctool this node can reach; a collector is of no use without one. */
  public static long reachableSynctools(ActorSystem<?> system) {
    var state = Cluster.get(system).state();
    long n = 0;
    for (Member m : state.getMembers()) {
      if (m.status() == MemberStatus.up() && m.hasRole(SYNCTOOL) && !state.getUnreachable().contains(m)) {
        n++;
      }
    }
    return n;
  }

  private void tick() {
    try {
      if (closed || system.whenTerminated().isCompleted()) {
        return;
      }
      MemberStatus status = cluster.selfMember().status();
      if (status == MemberStatus.up()) {
        if (!registered) {
          directory.register(system.address(), role);
          registered = true;
          releaseLock();
          log.info("{} is Up in the cluster after {} ms and registered in ZooKeeper", system.address(),
              TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos));
        }
        if (System.nanoTime() - lastIslandCheckNanos > joinRetry.toNanos()) {
          lastIslandCheckNanos = System.nanoTime();
          watchIsland();
        }
      } else if (status == MemberStatus.removed()) {
        join(); // not a member yet (a node that has not joined reports itself Removed)
      }
      lastError = null;
    } catch (Exception e) {
      String err = e.toString();
      if (!err.equals(lastError)) {
        log.warn("cluster membership of {}: {} (retrying)", system.address(), err);
        lastError = err;
      }
    }
  }

  private void join() throws Exception {
    List<Address> candidates = new ArrayList<>();
    Exception zkFailure = null;
    try {
      for (MemberDirectory.Entry e : directory.live(system.address(), probeTimeout)) {
        candidates.add(e.address(system.name()));
      }
    } catch (Exception e) {
      zkFailure = e; // the seed nodes may still answer; forming needs ZooKeeper (the lock) anyway
    }
    for (Address seed : seeds) {
      if (!seed.equals(system.address()) && !candidates.contains(seed)
          && MemberDirectory.accepts(MemberDirectory.hostPort(seed), probeTimeout)) {
        candidates.add(seed);
      }
    }
    long now = System.nanoTime();
    if (!candidates.isEmpty()) {
      if (!new HashSet<>(candidates).equals(lastCandidates) || now - lastJoinNanos > joinRetry.toNanos()) {
        releaseLock();
        log.info("{} joining the cluster through {}", system.address(), candidates);
        cluster.manager().tell(new JoinSeedNodes(candidates));
        lastCandidates = new HashSet<>(candidates);
        lastJoinNanos = now;
      }
      return;
    }
    if (zkFailure != null) {
      throw zkFailure;
    }
    if (!mayForm) {
      if (!waitingLogged) {
        log.info("{} waiting for a synctool: no cluster member is registered in ZooKeeper and answering",
            system.address());
        waitingLogged = true;
      }
      return;
    }
    if (lockHeld) {
      if (now - lastJoinNanos > joinRetry.toNanos() * 3) {
        releaseLock(); // formation did not complete: let another synctool try
      }
      return;
    }
    if (!formationLock.acquire(joinRetry.toMillis(), TimeUnit.MILLISECONDS)) {
      return;
    }
    lockHeld = true;
    if (!directory.live(system.address(), probeTimeout).isEmpty()) {
      releaseLock(); // someone formed it meanwhile: join it on the next tick
      return;
    }
    log.info("{} forms a new cluster: no cluster member is registered in ZooKeeper and answering",
        system.address());
    cluster.manager().tell(Join.create(system.address()));
    lastCandidates = Set.of(system.address());
    lastJoinNanos = now;
  }

  private void watchIsland() throws Exception {
    Set<String> mine = new HashSet<>();
    boolean haveSynctool = false;
    for (Member m : cluster.state().getMembers()) {
      mine.add(MemberDirectory.hostPort(m.address()));
      haveSynctool |= m.hasRole(SYNCTOOL) && m.status() == MemberStatus.up();
    }
    List<MemberDirectory.Entry> entries = directory.entries();
    long myOldest = Long.MAX_VALUE;
    for (MemberDirectory.Entry e : entries) {
      if (mine.contains(e.hostPort()) && e.role().equals(SYNCTOOL)) {
        myOldest = Math.min(myOldest, e.order());
      }
    }
    MemberDirectory.Entry foreign = null;
    for (MemberDirectory.Entry e : entries) {
      if (!mine.contains(e.hostPort()) && e.role().equals(SYNCTOOL) && (!haveSynctool || e.order() < myOldest)
          && MemberDirectory.accepts(e.hostPort(), probeTimeout)) {
        foreign = e;
        break;
      }
    }
    long now = System.nanoTime();
    if (foreign == null) {
      islandSinceNanos = -1;
      return;
    }
    if (islandSinceNanos < 0) {
      islandSinceNanos = now;
    } else if (now - islandSinceNanos > islandTimeout.toNanos()) {
      log.warn("{} is in a cluster of its own: synctool {} is registered and answering but not a member here"
          + " (for {} s); leaving to join it", system.address(), foreign.hostPort(),
          TimeUnit.NANOSECONDS.toSeconds(now - islandSinceNanos));
      islandSinceNanos = -1;
      CoordinatedShutdown.get(system).runAll(REJOIN);
    }
  }

  private void releaseLock() {
    if (lockHeld) {
      lockHeld = false;
      try {
        formationLock.release();
      } catch (Exception e) {
        // the lock node is ephemeral: it goes with the session at the latest
      }
    }
  }

  /** Deregisters and stops; called by coordinated shutdown before the node leaves. */
  @Override
  public void close() {
    closed = true;
    directory.deregister();
    registered = false;
    if (!executor.isShutdown()) {
      executor.execute(this::releaseLock); // the lock belongs to the thread that took it
      executor.shutdown();
    }
    try {
      executor.awaitTermination(joinRetry.toMillis() + 5000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
