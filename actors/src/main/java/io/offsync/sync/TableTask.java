package io.offsync.sync;

import io.offsync.serialization.CborSerializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The sync task of one table ({@code db.table}): a persistent entity, sharded on the {@code synctool} nodes with
 * remember-entities, that splits into one {@link Subtask} per partition and supervises them.
 *
 * <p>Guarantees. Create, delete, pause and resume are journaled before they are acknowledged. Each creation gets
 * a new incarnation number, part of its subtasks' persistence ids, so a deleted and recreated task starts fresh;
 * its first part file sequence of each partition follows the files already in dest, so committed files are never
 * overwritten. After a node failure the entity recovers on a survivor and its subtasks resume from their journals.
 *
 * <p>Failure behaviour. A crashed subtask is restarted with backoff (it recovers from its journal). Delete stops
 * the subtasks and keeps every committed file. In mode 0 the task removes itself once every subtask is SUCCESS, so
 * status no longer lists it. The entity keeps the {@link TaskRegistry} in step with what exists: Create journals
 * nothing until the registry has acknowledged the key (other commands wait meanwhile), so an existing task is
 * always listed; a recovery that finds no task unregisters the key, which drops a registration whose creation
 * never got journaled. Entities are
 * never passivated: an idle one holds no stream and only its small state, and staying alive keeps a create
 * from racing a passivation.
 */
public final class TableTask extends EventSourcedBehavior<TableTask.Command, TableTask.Event, TableTask.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "TableTask");

  /** Commands, sent through Cluster Sharding (entity id = {@code db.table}). */
  public interface Command extends CborSerializable {}

  /** Creates the task from a validated spec and the table's resolved partitions; refuses a duplicate. */
  public record Create(TaskSpec spec, int tid, List<Partition> partitions, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /**
   * @param pid partition id
   * @param firstSeq sequence of the partition's first part file
   */
  public record Partition(int pid, long firstSeq) implements CborSerializable {}

  public record Delete(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record Pause(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record Resume(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record GetStatus(ActorRef<TaskStatus> replyTo) implements Command {}

  /** Starts the entity (and so its subtasks) if it is not running; sent by the registry at its start. */
  public enum Wake implements Command { INSTANCE }

  private record SubtaskUpdate(SubtaskStatus status) implements Command {}

  private record ChildStopped(String name) implements Command {}

  /** The registry's answer to the registration of {@code create}: {@code failure} null when it acknowledged. */
  private record Registration(Create create, Throwable failure) implements Command {}

  /** Journaled events. */
  public interface Event extends CborSerializable {}

  public record TaskCreated(TaskSpec spec, long incarnation, int tid, List<Partition> partitions) implements Event {}

  public record TaskPaused(long incarnation) implements Event {}

  public record TaskResumed(long incarnation) implements Event {}

  public record TaskDeleted(long incarnation) implements Event {}

  /** Mode 0: every subtask succeeded; the task is gone. */
  public record TaskCompleted(long incarnation) implements Event {}

  /** The task that exists now. */
  public record Active(TaskSpec spec, long incarnation, int tid, List<Partition> partitions, boolean paused)
      implements CborSerializable {}

  /**
   * @param incarnations how many times a task was created for this table
   * @param active the current task, or null
   */
  public record State(long incarnations, Active active) implements CborSerializable {}

  public static Behavior<Command> create(
      String key,
      SyncEnvironment env,
      SyncSettings settings,
      RowSource rows,
      ActorRef<TaskRegistry.Command> registry) {
    return Behaviors.setup(ctx -> new TableTask(ctx, key, env, settings, rows, registry));
  }

  private final ActorContext<Command> ctx;
  private final String key;
  private final SyncEnvironment env;
  private final SyncSettings settings;
  private final RowSource rows;
  private final ActorRef<TaskRegistry.Command> registry;
  private final ActorRef<SubtaskStatus> statusAdapter;

  // runtime: the latest status each subtask reported, and the live subtask actors by name
  private final Map<Integer, SubtaskStatus> latest = new HashMap<>();
  private final Map<String, ActorRef<Subtask.Command>> children = new HashMap<>();
  // runtime: the Create waiting for the registry's acknowledgement (other commands are stashed meanwhile)
  private Create registering;

  private TableTask(
      ActorContext<Command> ctx,
      String key,
      SyncEnvironment env,
      SyncSettings settings,
      RowSource rows,
      ActorRef<TaskRegistry.Command> registry) {
    super(PersistenceId.of(TYPE_KEY.name(), key));
    this.ctx = ctx;
    this.key = key;
    this.env = env;
    this.settings = settings;
    this.rows = rows;
    this.registry = registry;
    this.statusAdapter = ctx.messageAdapter(SubtaskStatus.class, SubtaskUpdate::new);
  }

  @Override
  public State emptyState() {
    return new State(0, null);
  }

  // ---------------------------------------------------------------- commands

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    var b = newCommandHandlerBuilder();
    b.forState(s -> registering != null)
        .onCommand(Registration.class, this::onRegistration)
        .onAnyCommand(c -> Effect().stash());
    b.forState(s -> s.active() == null)
        .onCommand(Create.class, this::onCreate)
        .onCommand(Delete.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.error(noTask())))
        .onCommand(Pause.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.error(noTask())))
        .onCommand(Resume.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.error(noTask())))
        .onCommand(SubtaskUpdate.class, (s, c) -> Effect().none());
    b.forState(s -> s.active() != null)
        .onCommand(Create.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.error(
            "sync task for " + key + " already exists (tid " + s.active().tid() + ", mode " + s.active().spec().mode()
                + ", dest " + s.active().spec().dest() + "); delete it first to create it again")))
        .onCommand(Delete.class, this::onDelete)
        .onCommand(Pause.class, this::onPause)
        .onCommand(Resume.class, this::onResume)
        .onCommand(SubtaskUpdate.class, this::onSubtaskUpdate);
    b.forAnyState()
        .onCommand(GetStatus.class, (s, c) -> Effect().reply(c.replyTo(), status(s)))
        .onCommand(Wake.class, (s, c) -> Effect().none())
        .onCommand(ChildStopped.class, (s, c) -> {
          children.remove(c.name());
          return Effect().none();
        });
    return b.build();
  }

  private String noTask() {
    return "no sync task for " + key;
  }

  private Effect<Event, State> onCreate(State s, Create c) {
    TaskSpec spec;
    try {
      spec = c.spec().validate();
    } catch (IllegalArgumentException e) {
      return Effect().reply(c.replyTo(), StatusReply.error(e.getMessage()));
    }
    if (c.partitions().isEmpty()) {
      return Effect().reply(c.replyTo(), StatusReply.error("table " + key + " has no partitions"));
    }
    Create validated = new Create(spec, c.tid(), List.copyOf(c.partitions()), c.replyTo());
    registering = validated;
    ctx.ask(Done.class, registry, settings.askTimeout().dividedBy(2),
        replyTo -> new TaskRegistry.Register(key, replyTo), (done, failure) -> new Registration(validated, failure));
    return Effect().none();
  }

  /** Journals the creation once the registry lists the key, so a task that exists is always listed. */
  private Effect<Event, State> onRegistration(State s, Registration r) {
    registering = null;
    Create c = r.create();
    if (r.failure() != null) {
      String refusal = "sync task " + key + " not created: the task registry did not confirm it in time ("
          + r.failure().getMessage() + "); the cluster may be changing, retry";
      return Effect().none().thenRun(ns -> c.replyTo().tell(StatusReply.error(refusal))).thenUnstashAll();
    }
    var event = new TaskCreated(c.spec(), s.incarnations() + 1, c.tid(), c.partitions());
    return Effect().persist(event).thenRun(ns -> {
      latest.clear();
      startSubtasks(ns.active());
      ctx.getLog().info("sync task {} created: tid {}, {} partitions, mode {}, dest {}", key, c.tid(),
          c.partitions().size(), c.spec().mode(), c.spec().dest());
    }).thenRun(ns -> c.replyTo().tell(StatusReply.ack())).thenUnstashAll();
  }

  private Effect<Event, State> onDelete(State s, Delete c) {
    return Effect().persist(new TaskDeleted(s.active().incarnation())).thenRun(ns -> {
      stopSubtasks();
      registry.tell(new TaskRegistry.Unregister(key));
      ctx.getLog().info("sync task {} deleted; committed files stay in {}", key, s.active().spec().dest());
    }).thenReply(c.replyTo(), ns -> StatusReply.ack());
  }

  private Effect<Event, State> onPause(State s, Pause c) {
    if (s.active().paused()) {
      return Effect().reply(c.replyTo(), StatusReply.ack());
    }
    return Effect().persist(new TaskPaused(s.active().incarnation()))
        .thenRun(ns -> children.values().forEach(child -> child.tell(Subtask.Pause.INSTANCE)))
        .thenReply(c.replyTo(), ns -> StatusReply.ack());
  }

  private Effect<Event, State> onResume(State s, Resume c) {
    if (!s.active().paused()) {
      children.values().forEach(child -> child.tell(Subtask.Resume.INSTANCE)); // FAILED ones resume
      return Effect().reply(c.replyTo(), StatusReply.ack());
    }
    return Effect().persist(new TaskResumed(s.active().incarnation()))
        .thenRun(ns -> children.values().forEach(child -> child.tell(Subtask.Resume.INSTANCE)))
        .thenReply(c.replyTo(), ns -> StatusReply.ack());
  }

  private Effect<Event, State> onSubtaskUpdate(State s, SubtaskUpdate c) {
    Active a = s.active();
    if (c.status().incarnation() != a.incarnation()) {
      return Effect().none();
    }
    latest.put(c.status().pid(), c.status());
    boolean allDone = a.spec().mode() == TaskSpec.MODE_FULL
        && a.partitions().stream().allMatch(p -> {
          SubtaskStatus st = latest.get(p.pid());
          return st != null && st.state() == SubtaskState.SUCCESS;
        });
    if (!allDone) {
      return Effect().none();
    }
    return Effect().persist(new TaskCompleted(a.incarnation())).thenRun(ns -> {
      ctx.getLog().info("sync task {} (mode 0) completed: every partition is committed", key);
      stopSubtasks();
      registry.tell(new TaskRegistry.Unregister(key));
    });
  }

  // ---------------------------------------------------------------- subtasks

  private void startSubtasks(Active a) {
    for (Partition p : a.partitions()) {
      String name = "subtask-" + a.incarnation() + "-" + p.pid();
      if (children.containsKey(name)) {
        continue;
      }
      var spec = new SubtaskSpec(a.spec(), a.incarnation(), a.tid(), p.pid(), p.firstSeq());
      ActorRef<Subtask.Command> child = ctx.spawn(Subtask.create(spec, env, settings, rows, statusAdapter), name);
      ctx.watchWith(child, new ChildStopped(name));
      children.put(name, child);
    }
  }

  private void stopSubtasks() {
    children.values().forEach(child -> child.tell(Subtask.Stop.INSTANCE));
    latest.clear();
  }

  private TaskStatus status(State s) {
    Active a = s.active();
    if (a == null) {
      return new TaskStatus(key, List.of());
    }
    List<SubtaskStatus> out = new ArrayList<>();
    for (Partition p : a.partitions()) {
      SubtaskStatus st = latest.get(p.pid());
      if (st == null) {
        TaskSpec t = a.spec();
        st = new SubtaskStatus(a.tid(), p.pid(), t.db(), t.table(), t.mode(), t.effectiveStartTs(), t.dest(),
            t.format().extension(), a.paused() ? SubtaskState.PAUSED : SubtaskState.INIT,
            io.offsync.protocol.position.Position.start(), 0, 0, 0, 0, "", "", 0, 0, a.incarnation(), 0, 0,
            t.partitioning().map(Object::toString).orElse(""));
      }
      out.add(st);
    }
    return new TaskStatus(key, out);
  }

  // ---------------------------------------------------------------- events

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(TaskCreated.class, (s, e) ->
            new State(e.incarnation(), new Active(e.spec(), e.incarnation(), e.tid(), e.partitions(), false)))
        .onEvent(TaskPaused.class, (s, e) -> new State(s.incarnations(), withPaused(s.active(), true)))
        .onEvent(TaskResumed.class, (s, e) -> new State(s.incarnations(), withPaused(s.active(), false)))
        .onEvent(TaskDeleted.class, (s, e) -> new State(s.incarnations(), null))
        .onEvent(TaskCompleted.class, (s, e) -> new State(s.incarnations(), null))
        .build();
  }

  private static Active withPaused(Active a, boolean paused) {
    return new Active(a.spec(), a.incarnation(), a.tid(), a.partitions(), paused);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), s -> {
          if (s.active() != null) {
            startSubtasks(s.active());
            registry.tell(new TaskRegistry.Register(key, ctx.getSystem().ignoreRef()));
          } else {
            registry.tell(new TaskRegistry.Unregister(key));
          }
        })
        .build();
  }
}
