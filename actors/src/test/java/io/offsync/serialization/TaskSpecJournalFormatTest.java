package io.offsync.serialization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.offsync.sink.OutputFormat;
import io.offsync.sink.PartitionBy;
import io.offsync.sink.RollPolicy;
import io.offsync.sync.TaskSpec;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Task specs as the journal carries them (Pekko's jackson-cbor): the partitioning round-trips, and a spec journaled
 * before partitioning existed (no {@code partitionBy} field) reads back as unpartitioned.
 */
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TaskSpecJournalFormatTest {

  private ActorTestKit kit;
  private ObjectMapper cbor;

  @BeforeAll
  void start() {
    kit = ActorTestKit.create("TaskSpecJournalFormatTest");
    cbor = JacksonObjectMapperProvider.get(kit.system()).getOrCreate("jackson-cbor", Optional.empty());
  }

  @AfterAll
  void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void partitioningRoundTripsAndOldSpecsReadAsUnpartitioned() throws Exception {
    TaskSpec plain = new TaskSpec("db1", "t", 2, 0, "file:///d", OutputFormat.CSV, RollPolicy.DEFAULT);
    TaskSpec hourly = plain.withPartitionBy(PartitionBy.parse("ts:hour"));
    assertEquals(hourly, cbor.readValue(cbor.writeValueAsBytes(hourly), TaskSpec.class));
    assertEquals(plain, cbor.readValue(cbor.writeValueAsBytes(plain), TaskSpec.class));

    ObjectNode before = (ObjectNode) cbor.readTree(cbor.writeValueAsBytes(hourly));
    before.remove("partitionBy");
    TaskSpec old = cbor.readValue(cbor.writeValueAsBytes(before), TaskSpec.class);
    assertNull(old.partitionBy());
    assertEquals(plain, old);
  }
}
