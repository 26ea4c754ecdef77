package io.offsync.sync;

import io.offsync.collector.RowPack;
import io.offsync.iceberg.IcebergSettings;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.position.Position;
import io.offsync.protocol.zk.TableMetadata;
import io.offsync.serialization.CborSerializable;
import io.offsync.sink.CommitOps;
import io.offsync.sink.CommitRecord;
import io.offsync.sink.CommittedFile;
import io.offsync.sink.FinalNameTakenException;
import io.offsync.sink.IoTimeout;
import io.offsync.sink.RolledFile;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;

/**
 * One partition of a table task: reads the partition's rows from the collector of the leader's machine and
 * commits them into part files, exactly once.
 *
 * <p>Guarantees. The read position advances only through journaled events: for every part file the subtask
 * journals {@link FileCommitting} (file durable in {@code _tmp}), renames it, then journals {@link FileCommitted},
 * and only then does the stream pull more rows. On recovery (restart, failover to another node) a dangling
 * FileCommitting is finished first (rename, or confirm an earlier rename of the same attempt), stray tmp files of
 * unjournaled work are deleted, and reading resumes from the journaled position. Final names are deterministic
 * (tid, pid, seq), so committed rows are never lost nor duplicated.
 *
 * <p>The destination is the truth about what is committed. Every committed file carries its {@link CommitRecord}
 * (owner, seq, attempt, first and next position, rows). A journal that lost its last events (H2 on power loss,
 * PostgreSQL with asynchronous commit, a restored backup) may not know files that were committed. Before reading
 * resumes, and whenever a commit finds its final name taken, the subtask adopts such files: a final file at the
 * next sequence whose record names this subtask and starts at the journaled position is journaled as
 * {@link FileAdopted} (position fast-forwarded to its end, its rows counted), and so on for the following
 * sequences. A final file that cannot be adopted (another owner, another start, no record) is never confirmed
 * over nor deleted: the subtask fails with a message naming it. No tmp file is deleted while the journal points
 * to it, so rows the journal has advanced past always have a committed copy.
 *
 * <p>Failure behaviour. A lost collector, a moved leader, a stream error or a failed commit puts the subtask in
 * REASSIGNING: it re-resolves the leader's machine from ZooKeeper and reopens with exponential backoff. An INIT
 * subtask (nothing read yet) whose stream delivers nothing within {@code init-timeout} is reopened the same way,
 * without counting as a failure; a subtask reopened further on is RUNNING at once (a quiet binlog tail sends
 * nothing, and a lost collector fails the stream). A leader that moves to another machine (checked every
 * {@code leader-check-interval}) makes it reopen there.
 * After {@code retry.max-retries} consecutive failures without a committed file in between the subtask becomes
 * FAILED with the reason, which is journaled; its committed files stay. FAILED is not final: {@link Resume} (the
 * helper's {@code resume}) or, after {@code retry.failed-min-backoff} (doubling per round, at most
 * {@code retry.failed-max-backoff}), the subtask itself journals {@link Resumed} and reopens from its journaled
 * position with a fresh retry budget.
 *
 * <p>A hung destination file system: every file-system call (the sink's writes, hsync and close, the rename, the
 * stray tmp cleanup) is bounded by {@code fs-call-timeout}; one that outlives it fails the stream (or the prepare
 * step) like any other failure, so the subtask reopens with backoff from its journaled position instead of
 * waiting forever.
 */
public final class Subtask extends EventSourcedBehavior<Subtask.Command, Subtask.Event, Subtask.State> {

  /** Commands; a subtask is a local child of its table task. */
  public interface Command {}

  /** Replies with the current status. */
  public record GetStatus(ActorRef<SubtaskStatus> replyTo) implements Command {}

  /** Stops reading (journaled); committed work stays. */
  public enum Pause implements Command { INSTANCE }

  /** Resumes a paused or FAILED subtask from its journaled position. */
  public enum Resume implements Command { INSTANCE }

  /** Timer: the automatic resume of a FAILED subtask. */
  private enum RetryFailed implements Command { INSTANCE }

  /** Tears the stream down, finishes a journaled commit, deletes stray tmp files, then stops the actor. */
  public enum Stop implements Command { INSTANCE }

  /** Step 0 done: {@code unknown} = final files from the next sequence on that the journal does not know. */
  private record Prepared(long gen, List<CommittedFile> unknown, Throwable failure) implements Command {}

  private record Opened(long gen, Source<RowPack, NotUsed> source, String host, NS.TableInfo table)
      implements Command {}

  private record OpenFailed(long gen, String host, Throwable failure) implements Command {}

  /** A pack (rows, position or heartbeat) arrived: sent for the first, then at most every CONTACT_REPORT_MS. */
  private record DataArrived(long gen) implements Command {}

  private record InitTimeout(long gen) implements Command {}

  private record Reopen(long gen) implements Command {}

  private enum CheckLeader implements Command { INSTANCE }

  private record LeaderIs(long gen, String host) implements Command {}

  private record Roll(long gen, RolledFile file, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  private record Renamed(RolledFile file, ActorRef<StatusReply<Done>> replyTo, Throwable failure)
      implements Command {}

  private record StreamEnded(long gen, Throwable failure) implements Command {}

  /** Mode 0: the data ended and the partition's tmp files were deleted; now SUCCESS may be journaled. */
  private record Finishing(long gen, Throwable failure) implements Command {}

  private record StrayDeleted(Throwable failure) implements Command {}

  /** Journaled events. */
  public interface Event extends CborSerializable {}

  /**
   * Step 2: the part file is durable at {@code tmp}; once renamed, reading resumes at {@code next}. For a group of
   * time-partitioned files ({@link io.offsync.sink.PartitionedFiles}) {@code finalPath} is the group's marker,
   * {@code group} its files (directory, rows, bytes) and {@code rows}/{@code bytes} their sums; {@code group} is
   * empty for a single file (and in events journaled before groups existed).
   */
  public record FileCommitting(long seq, String tmp, String finalPath, Position next, long rows, long bytes,
      List<CommitRecord.GroupPart> group) implements Event {

    public FileCommitting {
      group = group == null ? List.of() : List.copyOf(group);
    }
  }

  /** Step 4: the part file is at its final name. */
  public record FileCommitted(long seq, long at) implements Event {}

  /**
   * A committed file the journal did not know (it lost its last events) taken over from the destination: its
   * record names this subtask, sequence {@code seq} and the journaled position as its start. Reading resumes at
   * {@code next}; a pending FileCommitting of the same sequence is void (its tmp file is stray).
   */
  public record FileAdopted(long seq, String finalPath, String attempt, Position next, long rows, long bytes,
      long at, List<CommitRecord.GroupPart> group) implements Event {

    public FileAdopted {
      group = group == null ? List.of() : List.copyOf(group);
    }
  }

  public record Paused(long at) implements Event {}

  public record Resumed(long at) implements Event {}

  /** Mode 0 is complete. */
  public record Succeeded(long at) implements Event {}

  /** Gave up after the retry policy. */
  public record Failed(String reason, long at) implements Event {}

  /** Journaled life cycle; INIT/RUNNING/REASSIGNING are runtime refinements of ACTIVE. */
  public enum Lifecycle { ACTIVE, PAUSED, SUCCEEDED, FAILED }

  /**
   * The journaled state.
   *
   * @param position where reading resumes: after the last committed file
   * @param nextSeq sequence of the next part file
   * @param pending a journaled FileCommitting whose FileCommitted is not journaled yet, or null
   * @param lastUpdate epoch ms of the last journaled event (a committed file or a state change)
   * @param lastCommit epoch ms of the last committed file, 0 before the first
   */
  public record State(
      Lifecycle lifecycle,
      Position position,
      long nextSeq,
      long rows,
      long bytes,
      long files,
      FileCommitting pending,
      String reason,
      long lastUpdate,
      long lastCommit)
      implements CborSerializable {

    State with(Lifecycle l, String why, long at) {
      return new State(l, position, nextSeq, rows, bytes, files, pending, why, at, lastCommit);
    }
  }

  /** Why the running stream is being torn down. */
  private enum Intent { NONE, REASSIGN, PAUSE, STOP }

  /** The subtask with restart-with-backoff supervision, as its table task spawns it. */
  public static Behavior<Command> create(SubtaskSpec spec, SyncEnvironment env, SyncSettings settings,
      RowSource rows, ActorRef<SubtaskStatus> reportTo) {
    return Behaviors.<Command>supervise(Behaviors.setup(ctx -> Behaviors.withTimers(
            timers -> new Subtask(ctx, timers, spec, env, settings, rows, reportTo))))
        .onFailure(restartBackoff(settings));
  }

  private static BackoffSupervisorStrategy restartBackoff(SyncSettings settings) {
    return SupervisorStrategy.restartWithBackoff(settings.restartMinBackoff(), settings.restartMaxBackoff(), 0.2);
  }

  public static PersistenceId persistenceId(SubtaskSpec spec) {
    return PersistenceId.ofUniqueId("Subtask|" + spec.subtaskId());
  }

  /** The persistence id of a subtask's events in the journal, as text (status shows it). */
  public static String persistenceId(String db, String table, long incarnation, int pid) {
    return "Subtask|" + SubtaskSpec.subtaskId(TaskSpec.key(db, table), incarnation, pid);
  }

  /** How often, at most, the stream's last contact is reported to the table task, ms. */
  private static final long CONTACT_REPORT_MS = 1000;

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final SubtaskSpec spec;
  private final SyncEnvironment env;
  private final RowSource rows;
  private final ActorRef<SubtaskStatus> reportTo;
  private final SyncSettings settings;
  private final Executor blocking;
  private final IoTimeout fsCalls;
  private final Materializer materializer;
  private final RateMeter rate = new RateMeter();
  private final SubtaskDestination destination;

  // runtime, not journaled
  /**
   * Generations are unique in the JVM, not per instance: after a supervisor restart the new instance must never
   * take a late message of its predecessor's stream (StreamEnded, Roll) for one of its own.
   */
  private static final AtomicLong GENERATIONS = new AtomicLong();

  private long gen = GENERATIONS.incrementAndGet();
  private SubtaskState phase = SubtaskState.INIT;
  private UniqueKillSwitch killSwitch;
  private boolean streamLive;
  private boolean commitInFlight;
  private boolean preparing;
  private Intent intent = Intent.NONE;
  private int failures;
  /** FAILED rounds of this actor incarnation: the automatic resume waits longer after each. */
  private int failedRounds;
  private long streamOpens;
  private long streamFailures;
  private String reason = "";
  private String host = "";
  /** Last contact with the stream (any pack, the collector's heartbeats included), or when it was assigned. */
  private final AtomicLong lastContact = new AtomicLong(System.currentTimeMillis());

  private Subtask(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      SubtaskSpec spec,
      SyncEnvironment env,
      SyncSettings settings,
      RowSource rows,
      ActorRef<SubtaskStatus> reportTo) {
    super(persistenceId(spec), restartBackoff(settings));
    this.ctx = ctx;
    this.timers = timers;
    this.spec = spec;
    this.env = env;
    this.rows = rows;
    this.reportTo = reportTo;
    this.settings = settings;
    this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(SyncSettings.BLOCKING_DISPATCHER));
    this.fsCalls = new IoTimeout(settings.fsCallTimeout(), env.user());
    this.materializer = Materializer.createMaterializer(ctx);
    this.destination = new SubtaskDestination(spec, env,
        IcebergSettings.fromConfig(ctx.getSystem().settings().config()), fsCalls, settings.maxOpenPartitionFiles());
  }

  @Override
  public State emptyState() {
    return new State(Lifecycle.ACTIVE, Position.start(), spec.firstSeq(), 0, 0, 0, null, "", 0, 0);
  }

  // ---------------------------------------------------------------- commands

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(GetStatus.class, (s, c) -> Effect().reply(c.replyTo(), status(s)))
        .onCommand(Pause.class, this::onPause)
        .onCommand(Resume.class, this::onResume)
        .onCommand(RetryFailed.class, (s, c) -> {
          if (s.lifecycle() != Lifecycle.FAILED) {
            return Effect().none();
          }
          ctx.getLog().info("subtask {} resumes by itself after FAILED ({}): {}", spec.subtaskId(), failedRounds,
              s.reason());
          return onResume(s, Resume.INSTANCE);
        })
        .onCommand(Stop.class, this::onStop)
        .onCommand(Prepared.class, this::onPrepared)
        .onCommand(Opened.class, this::onOpened)
        .onCommand(OpenFailed.class, this::onOpenFailed)
        .onCommand(DataArrived.class, this::onDataArrived)
        .onCommand(InitTimeout.class, this::onInitTimeout)
        .onCommand(Reopen.class, (s, c) -> {
          if (c.gen() == gen && s.lifecycle() == Lifecycle.ACTIVE && intent == Intent.NONE) {
            prepare(s);
          }
          return Effect().none();
        })
        .onCommand(CheckLeader.class, (s, c) -> onCheckLeader())
        .onCommand(LeaderIs.class, this::onLeaderIs)
        .onCommand(Roll.class, this::onRoll)
        .onCommand(Renamed.class, this::onRenamed)
        .onCommand(StreamEnded.class, this::onStreamEnded)
        .onCommand(Finishing.class, this::onFinishing)
        .onCommand(StrayDeleted.class, (s, c) -> {
          rows.release(host, spec.tid(), spec.pid(), spec.subtaskId(), null);
          return Effect().stop();
        })
        .build();
  }

  private Effect<Event, State> onPause(State s, Pause c) {
    if (s.lifecycle() != Lifecycle.ACTIVE) {
      return Effect().none();
    }
    return Effect().persist(new Paused(now())).thenRun(ns -> {
      phase = SubtaskState.PAUSED;
      haltReading(Intent.PAUSE);
      report(ns);
    });
  }

  private Effect<Event, State> onResume(State s, Resume c) {
    if (s.lifecycle() != Lifecycle.PAUSED && s.lifecycle() != Lifecycle.FAILED) {
      return Effect().none();
    }
    return Effect().persist(new Resumed(now())).thenRun(ns -> {
      timers.cancel(RetryFailed.INSTANCE);
      failures = 0;
      reason = "";
      if (streamLive) {
        intent = Intent.REASSIGN; // the paused stream is still winding down; reopen once it has ended
      } else {
        intent = Intent.NONE;
        prepare(ns);
      }
      report(ns);
    });
  }

  private Effect<Event, State> onStop(State s, Stop c) {
    intent = Intent.STOP;
    timers.cancelAll();
    gen = GENERATIONS.incrementAndGet();
    if (streamLive) {
      killSwitch.abort(new SubtaskStopped("subtask stopped"));
      return Effect().none();
    }
    return finishStop(s);
  }

  private Effect<Event, State> finishStop(State s) {
    if (commitInFlight) {
      return Effect().none(); // continues in onRenamed
    }
    if (s.pending() != null) {
      startRename(destination.rolled(s.pending(), s.position()), null);
      return Effect().none();
    }
    ctx.pipeToSelf(destination.deleteStray(), (ok, e) -> new StrayDeleted(e));
    return Effect().none();
  }

  /** Stops the stream (if any) and any scheduled reopen; {@code why} says what happens when it has ended. */
  private void haltReading(Intent why) {
    timers.cancelAll();
    gen = GENERATIONS.incrementAndGet();
    preparing = false;
    if (streamLive) {
      intent = why;
      killSwitch.abort(new SubtaskStopped("stream torn down: " + why));
    }
  }

  // ---------------------------------------------------------------- opening

  /** Step 0 of every (re)open: finish a journaled commit, delete stray tmp files, then open. */
  private void prepare(State s) {
    gen = GENERATIONS.incrementAndGet();
    preparing = true;
    intent = Intent.NONE;
    if (commitInFlight) {
      return; // continues in onRenamed
    }
    if (s.pending() != null) {
      startRename(destination.rolled(s.pending(), s.position()), null);
      return;
    }
    long g = gen;
    ctx.pipeToSelf(destination.reconcile(s.nextSeq()), (unknown, e) -> new Prepared(g, unknown, e));
  }

  private Effect<Event, State> onPrepared(State s, Prepared c) {
    if (c.gen() != gen || !preparing) {
      return Effect().none();
    }
    preparing = false;
    if (c.failure() != null) {
      return failure(s, "cannot reconcile partition " + spec.pid() + " with " + spec.task().dest() + ": "
          + message(c.failure()));
    }
    if (c.unknown().isEmpty()) {
      open(s);
      return Effect().none();
    }
    SubtaskDestination.Adoption a = destination.adoption(s.position(), s.nextSeq(), c.unknown(), now());
    if (a.events().isEmpty()) {
      return failure(s, a.refusal());
    }
    return Effect().persist(a.events()).thenRun(ns -> {
      adopted(ns, a);
      if (ns.lifecycle() == Lifecycle.ACTIVE && intent == Intent.NONE) {
        prepare(ns); // the next round opens, or stops at the file that could not be adopted
      }
    });
  }

  private void adopted(State ns, SubtaskDestination.Adoption a) {
    ctx.getLog().warn("subtask {} adopted {} committed file(s) the journal did not know (it lost its last events);"
        + " reading resumes at {} with file {}", spec.subtaskId(), a.events().size(), ns.position(), ns.nextSeq());
    failures = 0;
    rows.release(host, spec.tid(), spec.pid(), spec.subtaskId(), ns.position());
    report(ns);
  }

  private void open(State s) {
    long g = gen;
    if (phase != SubtaskState.REASSIGNING) {
      phase = SubtaskState.INIT;
    }
    SubtaskStream.open(spec, env, destination, rows, s.position(), blocking).whenComplete((o, e) -> ctx.getSelf()
        .tell(e == null ? new Opened(g, o.source(), o.host(), o.table())
            : e instanceof SubtaskStream.OpenFailure f ? new OpenFailed(g, f.host, f.getCause())
            : new OpenFailed(g, "", unwrap(e))));
  }

  private Effect<Event, State> onOpenFailed(State s, OpenFailed c) {
    if (c.gen() != gen || s.lifecycle() != Lifecycle.ACTIVE || intent != Intent.NONE) {
      return Effect().none();
    }
    String where = c.host().isEmpty() ? "" : " from host " + c.host();
    return failure(s, "cannot open the stream of partition " + spec.pid() + where + ": " + message(c.failure()));
  }

  private Effect<Event, State> onOpened(State s, Opened c) {
    if (c.gen() != gen || s.lifecycle() != Lifecycle.ACTIVE || intent != Intent.NONE) {
      return Effect().none();
    }
    host = c.host();
    Flow<RowPack, RolledFile, NotUsed> sink;
    try {
      sink = destination.sink(TableSchema.of(c.table()), s.nextSeq(), s.position());
    } catch (java.io.IOException | RuntimeException e) {
      return failure(s, message(e));
    }
    long g = gen;
    var self = ctx.getSelf();
    var scheduler = ctx.getSystem().scheduler();
    Pair<UniqueKillSwitch, CompletionStage<Done>> running = SubtaskStream.run(c.source(), sink, lastContact,
        CONTACT_REPORT_MS, () -> self.tell(new DataArrived(g)), file -> AskPattern.<Command, Done>askWithStatus(
            self, replyTo -> new Roll(g, file, replyTo), settings.commitTimeout(), scheduler), materializer);
    killSwitch = running.first();
    lastContact.set(System.currentTimeMillis());
    streamLive = true;
    streamOpens++;
    ctx.pipeToSelf(running.second(), (done, e) -> new StreamEnded(g, e));
    if (s.position().equals(Position.start())) {
      timers.startSingleTimer(new InitTimeout(g), settings.initTimeout()); // INIT: assigned, no data yet
    } else {
      phase = SubtaskState.RUNNING; // reopened where it left off; a quiet binlog tail sends nothing
      reason = "";
    }
    timers.startTimerWithFixedDelay(CheckLeader.INSTANCE, settings.leaderCheckInterval());
    report(s);
    return Effect().none();
  }

  private Effect<Event, State> onDataArrived(State s, DataArrived c) {
    if (c.gen() == gen && s.lifecycle() == Lifecycle.ACTIVE) {
      if (phase != SubtaskState.RUNNING && intent == Intent.NONE) {
        phase = SubtaskState.RUNNING;
        reason = "";
      }
      report(s); // also carries the last contact to the table task's status
    }
    return Effect().none();
  }


  private Effect<Event, State> onInitTimeout(State s, InitTimeout c) {
    if (c.gen() == gen && phase != SubtaskState.RUNNING && streamLive && intent == Intent.NONE) {
      reason = "no data from the collector on " + host + " within " + settings.initTimeout().toSeconds()
          + " s; reopening";
      phase = SubtaskState.REASSIGNING;
      intent = Intent.REASSIGN;
      killSwitch.abort(new SubtaskStopped(reason));
      report(s);
    }
    return Effect().none();
  }

  private Effect<Event, State> onCheckLeader() {
    if (!streamLive || intent != Intent.NONE) {
      return Effect().none();
    }
    long g = gen;
    CompletableFuture.supplyAsync(() -> env.metadata().byTid(spec.tid())
            .map(info -> TableMetadata.host(TableMetadata.leaderEndpoint(info, spec.pid())))
            .orElse(""), blocking)
        .whenComplete((h, e) -> {
          if (e == null) {
            ctx.getSelf().tell(new LeaderIs(g, h));
          }
        });
    return Effect().none();
  }

  private Effect<Event, State> onLeaderIs(State s, LeaderIs c) {
    if (c.gen() == gen && streamLive && intent == Intent.NONE && !c.host().isEmpty() && !c.host().equals(host)) {
      reason = "the leader of partition " + spec.pid() + " moved from " + host + " to " + c.host();
      phase = SubtaskState.REASSIGNING;
      intent = Intent.REASSIGN;
      killSwitch.abort(new SubtaskStopped(reason));
      report(s);
    }
    return Effect().none();
  }

  // ---------------------------------------------------------------- the commit protocol

  private Effect<Event, State> onRoll(State s, Roll c) {
    if (c.gen() != gen || intent != Intent.NONE || s.lifecycle() != Lifecycle.ACTIVE) {
      c.replyTo().tell(StatusReply.error("stream superseded"));
      return Effect().none();
    }
    RolledFile f = c.file();
    try {
      env.faults().at(CommitFaults.Step.ROLLED, spec.tid(), spec.pid(), f.seq());
    } catch (CommitFaults.Halt halt) {
      return Effect().none();
    } catch (RuntimeException e) {
      c.replyTo().tell(StatusReply.error(e));
      return Effect().none();
    }
    var event = new FileCommitting(f.seq(), f.tmp().toString(), f.finalPath().toString(), f.next(), f.rows(),
        f.bytes(), f.record().group());
    commitInFlight = true;
    return Effect().persist(event).thenRun(ns -> {
      try {
        env.faults().at(CommitFaults.Step.JOURNALED, spec.tid(), spec.pid(), f.seq());
      } catch (CommitFaults.Halt halt) {
        return;
      } catch (RuntimeException e) {
        commitInFlight = false;
        c.replyTo().tell(StatusReply.error(e));
        return;
      }
      startRename(f, c.replyTo());
    });
  }

  /**
   * Step 3, bounded by {@code fs-call-timeout}; the result comes back as {@link Renamed}. A rename that timed out
   * may still happen later: the retry's {@link CommitOps#commit} is idempotent, so either order ends committed.
   */
  private void startRename(RolledFile f, ActorRef<StatusReply<Done>> replyTo) {
    commitInFlight = true;
    destination.commit(f).whenComplete((outcome, e) -> ctx.getSelf().tell(new Renamed(f, replyTo, e == null ? null : unwrap(e))));
  }

  private Effect<Event, State> onRenamed(State s, Renamed c) {
    if (c.failure() instanceof CommitFaults.Halt) {
      return Effect().none(); // a test's process death inside the commit
    }
    if (c.failure() instanceof FinalNameTakenException taken) {
      return onFinalNameTaken(s, c, taken);
    }
    if (c.failure() != null) {
      return commitFailed(s, c, "cannot commit part file " + c.file().finalPath() + ": " + message(c.failure()));
    }
    try {
      env.faults().at(CommitFaults.Step.RENAMED, spec.tid(), spec.pid(), c.file().seq());
    } catch (CommitFaults.Halt halt) {
      return Effect().none();
    } catch (RuntimeException e) {
      return commitFailed(s, c, "commit of part file " + c.file().finalPath() + " failed: " + message(e));
    }
    return Effect().persist(new FileCommitted(c.file().seq(), now())).thenRun(ns -> {
      commitInFlight = false;
      failures = 0;
      rate.sample(now(), ns.rows());
      rows.release(host, spec.tid(), spec.pid(), spec.subtaskId(), ns.position());
      if (c.replyTo() != null) {
        c.replyTo().tell(StatusReply.ack());
      }
      report(ns);
      if (intent == Intent.STOP && !streamLive) {
        ctx.getSelf().tell(Stop.INSTANCE);
      } else if (preparing) {
        prepare(ns);
      }
    });
  }

  /**
   * The commit found its final name taken by a file the journal does not know: adopt it if its record proves it
   * is this partition's next file (then the stream restarts after it), else fail without touching it.
   */
  private Effect<Event, State> onFinalNameTaken(State s, Renamed c, FinalNameTakenException taken) {
    SubtaskDestination.Adoption a =
        destination.adoption(s.position(), s.nextSeq(), List.of(taken.found()), now());
    if (a.events().isEmpty()) {
      return commitFailed(s, c, a.refusal() + " (" + taken.getMessage() + ")");
    }
    return Effect().persist(a.events()).thenRun(ns -> {
      commitInFlight = false;
      adopted(ns, a);
      if (intent == Intent.NONE && streamLive) {
        intent = Intent.REASSIGN; // its sink has read past the adopted file: reopen after it, not a failure
        phase = SubtaskState.REASSIGNING;
        reason = "adopted part file " + taken.found().path() + "; reopening at " + ns.position();
        killSwitch.abort(new SubtaskStopped(reason));
      }
      if (c.replyTo() != null) {
        c.replyTo().tell(StatusReply.error("part file " + c.file().seq() + " was adopted from the destination"));
      }
      if (intent == Intent.STOP && !streamLive) {
        ctx.getSelf().tell(Stop.INSTANCE);
      } else if (preparing) {
        prepare(ns);
      }
    });
  }

  /** Step 3 or 4 failed: the stream (if any) fails and reopens; a commit of the prepare step retries. */
  private Effect<Event, State> commitFailed(State s, Renamed c, String why) {
    commitInFlight = false;
    if (c.replyTo() != null) {
      c.replyTo().tell(StatusReply.error(why));
    }
    if (intent == Intent.STOP) {
      return Effect().stop();
    }
    if (preparing) {
      preparing = false;
      return failure(s, why);
    }
    return Effect().none();
  }

  private Effect<Event, State> onStreamEnded(State s, StreamEnded c) {
    if (c.gen() != gen && intent == Intent.NONE) {
      return Effect().none();
    }
    streamLive = false;
    timers.cancel(CheckLeader.INSTANCE);
    Intent why = intent;
    intent = Intent.NONE;
    switch (why) {
      case STOP:
        intent = Intent.STOP;
        return finishStop(s);
      case PAUSE:
        return Effect().none();
      case REASSIGN:
        if (s.lifecycle() == Lifecycle.ACTIVE) {
          phase = SubtaskState.REASSIGNING;
          scheduleReopen(settings.retryMinBackoff());
          report(s);
        }
        return Effect().none();
      default:
        break;
    }
    if (s.lifecycle() != Lifecycle.ACTIVE) {
      return Effect().none();
    }
    if (c.failure() == null && spec.task().mode() == TaskSpec.MODE_FULL) {
      // leave no tmp file behind: one of an earlier incarnation that died mid-write may still be there
      long g = gen;
      ctx.pipeToSelf(destination.deleteStray(), (ok, e) -> new Finishing(g, e));
      return Effect().none();
    }
    String why2 = c.failure() == null
        ? "the stream from " + host + " ended although mode " + spec.task().mode() + " never ends"
        : "the stream from " + host + " failed: " + message(c.failure());
    return failure(s, why2);
  }

  private Effect<Event, State> onFinishing(State s, Finishing c) {
    if (c.gen() != gen || s.lifecycle() != Lifecycle.ACTIVE) {
      return Effect().none();
    }
    if (c.failure() != null) {
      ctx.getLog().warn("subtask {} finished but could not delete its leftover tmp files in {}: {}",
          spec.subtaskId(), spec.task().dest(), message(c.failure()));
    }
    return Effect().persist(new Succeeded(now())).thenRun(ns -> {
      phase = SubtaskState.SUCCESS;
      rows.release(host, spec.tid(), spec.pid(), spec.subtaskId(), null);
      report(ns);
    });
  }

  /** Counts a failure; reopens after backoff or, past the retry budget, journals FAILED. */
  private Effect<Event, State> failure(State s, String why) {
    failures++;
    streamFailures++;
    reason = why;
    if (failures > settings.maxRetries()) {
      String finalReason = why + " (gave up after " + settings.maxRetries() + " retries)";
      ctx.getLog().warn("subtask {} FAILED: {}", spec.subtaskId(), finalReason);
      return Effect().persist(new Failed(finalReason, now())).thenRun(ns -> {
        phase = SubtaskState.FAILED;
        scheduleFailedRetry();
        report(ns);
      });
    }
    ctx.getLog().info("subtask {} reassigning (failure {} of {}): {}", spec.subtaskId(), failures,
        settings.maxRetries(), why);
    phase = SubtaskState.REASSIGNING;
    scheduleReopen(settings.backoff(failures));
    report(s);
    return Effect().none();
  }

  /** A FAILED subtask resumes by itself after a backoff that doubles with each FAILED round of this actor. */
  private void scheduleFailedRetry() {
    failedRounds++;
    timers.startSingleTimer(RetryFailed.INSTANCE, RetryFailed.INSTANCE, settings.failedBackoff(failedRounds));
  }

  private void scheduleReopen(Duration after) {
    gen = GENERATIONS.incrementAndGet();
    timers.startSingleTimer(new Reopen(gen), after);
  }

  // ---------------------------------------------------------------- events

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(FileCommitting.class, (s, e) -> new State(s.lifecycle(), s.position(), s.nextSeq(), s.rows(),
            s.bytes(), s.files(), e, s.reason(), s.lastUpdate(), s.lastCommit()))
        .onEvent(FileCommitted.class, (s, e) -> {
          FileCommitting p = s.pending();
          if (p == null || p.seq() != e.seq()) {
            throw new IllegalStateException("FileCommitted(" + e.seq() + ") without its FileCommitting in "
                + spec.subtaskId());
          }
          return new State(s.lifecycle(), p.next(), p.seq() + 1, s.rows() + p.rows(), s.bytes() + p.bytes(),
              s.files() + 1, null, s.reason(), e.at(), e.at());
        })
        .onEvent(FileAdopted.class, (s, e) -> new State(s.lifecycle(), e.next(), e.seq() + 1, s.rows() + e.rows(),
            s.bytes() + e.bytes(), s.files() + 1, null, s.reason(), e.at(), e.at()))
        .onEvent(Paused.class, (s, e) -> s.with(Lifecycle.PAUSED, "", e.at()))
        .onEvent(Resumed.class, (s, e) -> s.with(Lifecycle.ACTIVE, "", e.at()))
        .onEvent(Succeeded.class, (s, e) -> s.with(Lifecycle.SUCCEEDED, "", e.at()))
        .onEvent(Failed.class, (s, e) -> s.with(Lifecycle.FAILED, e.reason(), e.at()))
        .build();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), s -> {
          phase = switch (s.lifecycle()) {
            case ACTIVE -> SubtaskState.INIT;
            case PAUSED -> SubtaskState.PAUSED;
            case SUCCEEDED -> SubtaskState.SUCCESS;
            case FAILED -> SubtaskState.FAILED;
          };
          reason = s.reason() == null ? "" : s.reason();
          report(s);
          if (s.lifecycle() == Lifecycle.ACTIVE) {
            prepare(s);
          } else if (s.lifecycle() == Lifecycle.FAILED) {
            scheduleFailedRetry();
          }
        })
        .onSignal(PostStop.instance(), s -> abortStream())
        .onSignal(PreRestart.instance(), s -> abortStream())
        .build();
  }

  private void abortStream() {
    if (streamLive && killSwitch != null) {
      killSwitch.abort(new SubtaskStopped("subtask actor stopped"));
    }
  }

  // ---------------------------------------------------------------- status

  private SubtaskStatus status(State s) {
    SubtaskState shown = switch (s.lifecycle()) {
      case PAUSED -> SubtaskState.PAUSED;
      case SUCCEEDED -> SubtaskState.SUCCESS;
      case FAILED -> SubtaskState.FAILED;
      case ACTIVE -> phase == SubtaskState.PAUSED || phase == SubtaskState.SUCCESS || phase == SubtaskState.FAILED
          ? SubtaskState.INIT : phase;
    };
    String why = shown == SubtaskState.FAILED ? s.reason() : shown == SubtaskState.REASSIGNING ? reason : "";
    TaskSpec t = spec.task();
    return new SubtaskStatus(spec.tid(), spec.pid(), t.db(), t.table(), t.mode(), t.effectiveStartTs(), t.dest(),
        t.format().extension(), shown, s.position(), s.rows(), s.bytes(), s.files(), rate.rate(), host,
        why == null ? "" : why, Math.max(s.lastUpdate(), lastContact.get()), s.lastCommit(), spec.incarnation(),
        streamOpens, streamFailures, t.partitioning().map(Object::toString).orElse(""));
  }

  private void report(State s) {
    reportTo.tell(status(s));
  }

  // ---------------------------------------------------------------- helpers

  private static long now() {
    return System.currentTimeMillis();
  }

  static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof java.util.concurrent.CompletionException
            || t instanceof java.util.concurrent.ExecutionException
            || t instanceof java.io.UncheckedIOException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static String message(Throwable e) {
    Throwable t = unwrap(e);
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  /** The failure a subtask tears its own stream down with. */
  static final class SubtaskStopped extends RuntimeException {
    SubtaskStopped(String message) {
      super(message, null, false, false);
    }
  }
}
