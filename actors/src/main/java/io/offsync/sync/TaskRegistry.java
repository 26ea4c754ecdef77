package io.offsync.sync;

import io.offsync.serialization.CborSerializable;
import java.util.List;
import java.util.TreeSet;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The index of existing table tasks ({@code db.table} keys), for status: a persistent cluster singleton on the
 * {@code synctool} nodes. A table task registers its key, and waits for the acknowledgement, before it journals
 * its creation, so every task that exists is listed. It unregisters itself after its deletion or completion, and
 * again at every recovery that finds no task, so a key whose creation never got journaled (or whose
 * unregistration was lost in a crash) is dropped the next time the task is woken; meanwhile such a key is
 * harmless, its status has no subtasks.
 *
 * <p>When it starts (first start, node restart, failover) it wakes every registered task, so tasks resume even
 * after a whole-cluster restart, independently of the sharding coordinator's remembered state.
 */
public final class TaskRegistry extends EventSourcedBehavior<TaskRegistry.Command, TaskRegistry.Event, TaskRegistry.State> {

  public interface Command extends CborSerializable {}

  /** Registers {@code key} (idempotent); {@code replyTo} gets Done once the key is journaled. */
  public record Register(String key, ActorRef<Done> replyTo) implements Command {}

  public record Unregister(String key) implements Command {}

  public record ListTasks(ActorRef<Tasks> replyTo) implements Command {}

  /** The registered keys, sorted. */
  public record Tasks(List<String> keys) implements CborSerializable {}

  public interface Event extends CborSerializable {}

  public record Registered(String key) implements Event {}

  public record Unregistered(String key) implements Event {}

  /** The registered keys, sorted. */
  public record State(List<String> keys) implements CborSerializable {}

  public static Behavior<Command> create() {
    return Behaviors.setup(ctx -> new TaskRegistry(ClusterSharding.get(ctx.getSystem())));
  }

  private final ClusterSharding sharding;

  private TaskRegistry(ClusterSharding sharding) {
    super(PersistenceId.ofUniqueId("TaskRegistry"));
    this.sharding = sharding;
  }

  @Override
  public State emptyState() {
    return new State(List.of());
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Register.class, (s, c) -> s.keys().contains(c.key())
            ? Effect().reply(c.replyTo(), Done.getInstance())
            : Effect().persist(new Registered(c.key())).thenReply(c.replyTo(), ns -> Done.getInstance()))
        .onCommand(Unregister.class, (s, c) ->
            s.keys().contains(c.key()) ? Effect().persist(new Unregistered(c.key())) : Effect().none())
        .onCommand(ListTasks.class, (s, c) -> Effect().reply(c.replyTo(), new Tasks(s.keys())))
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Registered.class, (s, e) -> {
          var keys = new TreeSet<>(s.keys());
          keys.add(e.key());
          return new State(List.copyOf(keys));
        })
        .onEvent(Unregistered.class, (s, e) -> {
          var keys = new TreeSet<>(s.keys());
          keys.remove(e.key());
          return new State(List.copyOf(keys));
        })
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), s -> s.keys().forEach(
            key -> sharding.entityRefFor(TableTask.TYPE_KEY, key).tell(TableTask.Wake.INSTANCE)))
        .build();
  }
}
