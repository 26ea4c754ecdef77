package io.offsync.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.zk.TableMetadata;
import io.offsync.sink.OutputFormat;
import io.offsync.sink.RollPolicy;
import io.offsync.testkit.EmbeddedZooKeeper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a {@link TableTask} keeps the {@link TaskRegistry} in step, on the real H2 file journal with real ZooKeeper
 * metadata; a test probe stands in for the registry singleton so that its answers (or their absence, as when the
 * registry's node dies) are under the test's control. A Create is acknowledged only after the registry
 * acknowledged the key; a key registered for a creation that never got journaled is unregistered when the task is
 * woken; a registry that does not answer makes Create fail cleanly with nothing journaled.
 */
@ExtendWith(LogCapturingExtension.class)
class TableTaskRegistrationTest {

  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir static Path tmp;
  private static EmbeddedZooKeeper zk;
  private static TableMetadata metadata;
  private static ActorTestKit kit;
  private static SyncSettings settings;
  private static SyncEnvironment env;
  private static final RowFeed feed = new RowFeed(200, 10, false);

  @BeforeAll
  static void start() throws Exception {
    zk = EmbeddedZooKeeper.start();
    metadata = new TableMetadata(zk.client(), "/openmldb");
    for (int tid = 41; tid <= 43; tid++) {
      NS.TableInfo t = RowFeed.table("db1", "reg" + tid, tid, 2, Common.StorageMode.kSSD);
      zk.client().create().creatingParentsIfNeeded().forPath(metadata.layout().tableInfo(tid), t.toByteArray());
    }
    kit = ActorTestKit.create("TableTaskRegistrationTest", JournalConfig.h2(tmp.resolve("journal"))
        .withFallback(ConfigFactory.parseString("offsync.sync.ask-timeout = 4 s"))
        .withFallback(ConfigFactory.load()));
    JournalSchema.ensure(kit.system(), Duration.ofSeconds(30));
    settings = SyncSettings.fromConfig(kit.system().settings().config());
    env = SyncEnvironment.of(metadata, new Configuration(), s -> feed);
  }

  @AfterAll
  static void stop() throws Exception {
    kit.shutdownTestKit();
    metadata.close();
    zk.close();
  }

  private static ActorRef<TableTask.Command> task(String key, TestProbe<TaskRegistry.Command> registry) {
    return kit.spawn(TableTask.create(key, env, settings, feed, registry.ref()));
  }

  private static TableTask.Create create(int tid, ActorRef<StatusReply<Done>> replyTo) {
    TaskSpec spec = new TaskSpec("db1", "reg" + tid, TaskSpec.MODE_FULL_AND_CONTINUOUS, 0,
        tmp.resolve("dest" + tid).toUri().toString(), OutputFormat.CSV, RollPolicy.DEFAULT);
    return new TableTask.Create(spec, tid, List.of(new TableTask.Partition(0, 0), new TableTask.Partition(1, 0)),
        replyTo);
  }

  /** A new task of table {@code reg<tid>} that was sent Create and asked the registry to register it. */
  private record Pending(String key, TestProbe<TaskRegistry.Command> registry, ActorRef<TableTask.Command> task,
      TestProbe<StatusReply<Done>> created, TaskRegistry.Register register) {}

  private static Pending createPendingRegistration(int tid) {
    String key = "db1.reg" + tid;
    TestProbe<TaskRegistry.Command> registry = kit.createTestProbe();
    ActorRef<TableTask.Command> task = task(key, registry);
    registry.expectMessage(WAIT, new TaskRegistry.Unregister(key)); // recovery found no task
    TestProbe<StatusReply<Done>> created = kit.createTestProbe();
    task.tell(create(tid, created.ref()));
    TaskRegistry.Register register = registry.expectMessageClass(TaskRegistry.Register.class, WAIT);
    assertEquals(key, register.key());
    return new Pending(key, registry, task, created, register);
  }

  @Test
  void createIsAcknowledgedOnlyOnceTheRegistryAcknowledgedTheKey() {
    Pending p = createPendingRegistration(41);
    TestProbe<TaskStatus> status = kit.createTestProbe();
    p.task().tell(new TableTask.GetStatus(status.ref()));
    p.created().expectNoMessage(Duration.ofMillis(500));
    status.expectNoMessage(Duration.ofMillis(100));

    p.register().replyTo().tell(Done.getInstance());
    assertTrue(p.created().expectMessageClass(StatusReply.class, WAIT).isSuccess());
    assertEquals(2, status.expectMessageClass(TaskStatus.class, WAIT).subtasks().size(),
        "a status asked while the registration was pending is answered after the creation");

    // recovery of an existing task registers it again (heals an index restored from an older journal)
    kit.stop(p.task(), WAIT);
    ActorRef<TableTask.Command> recovered = task(p.key(), p.registry());
    assertEquals(p.key(), p.registry().expectMessageClass(TaskRegistry.Register.class, WAIT).key());
    kit.stop(recovered, WAIT);
  }

  @Test
  void aKeyRegisteredForACreationThatNeverGotJournaledIsUnregisteredWhenTheTaskWakes() {
    Pending p = createPendingRegistration(42);
    kit.stop(p.task(), WAIT); // the node dies after the registry journaled the key, before the task journaled Create

    ActorRef<TableTask.Command> woken = task(p.key(), p.registry());
    woken.tell(TableTask.Wake.INSTANCE);
    p.registry().expectMessage(WAIT, new TaskRegistry.Unregister(p.key()));
    TestProbe<TaskStatus> status = kit.createTestProbe();
    woken.tell(new TableTask.GetStatus(status.ref()));
    assertEquals(List.of(), status.expectMessageClass(TaskStatus.class, WAIT).subtasks());
    kit.stop(woken, WAIT);
  }

  @Test
  void aRegistryThatDoesNotAnswerMakesCreateFailWithNothingJournaled() {
    Pending p = createPendingRegistration(43);
    StatusReply<?> refused = p.created().expectMessageClass(StatusReply.class, WAIT);
    assertTrue(refused.isError() && refused.getError().getMessage().contains("task registry did not confirm"),
        "refusal: " + refused);
    TestProbe<TaskStatus> status = kit.createTestProbe();
    p.task().tell(new TableTask.GetStatus(status.ref()));
    assertEquals(List.of(), status.expectMessageClass(TaskStatus.class, WAIT).subtasks());

    // a later Create, once the registry answers, succeeds
    p.task().tell(create(43, p.created().ref()));
    p.registry().expectMessageClass(TaskRegistry.Register.class, WAIT).replyTo().tell(Done.getInstance());
    assertTrue(p.created().expectMessageClass(StatusReply.class, WAIT).isSuccess());
    kit.stop(p.task(), WAIT);
  }
}
