package io.offsync.serialization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.offsync.collector.RowPack;
import io.offsync.protocol.position.BinlogPosition;
import io.offsync.protocol.position.Position;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Positions as the journal and the wire carry them (Pekko's jackson-cbor): a binlog position inside a snapshot's
 * overlap round-trips with its overlap, a plain one is written exactly as before overlaps existed (no
 * {@code overlap} field), and one journaled in that old form reads back as a plain position.
 */
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PositionJournalFormatTest {

  private ActorTestKit kit;
  private ObjectMapper cbor;

  @BeforeAll
  void start() {
    kit = ActorTestKit.create("PositionJournalFormatTest");
    cbor = JacksonObjectMapperProvider.get(kit.system()).getOrCreate("jackson-cbor", Optional.empty());
  }

  @AfterAll
  void stop() {
    kit.shutdownTestKit();
  }

  private Object roundTrip(Object o) {
    Serialization s = SerializationExtension.get(kit.system());
    byte[] bytes = s.serialize(o).get();
    var serializer = s.findSerializerFor(o);
    return s.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, o)).get();
  }

  @Test
  void overlapPositionsRoundTripAndPlainOnesKeepTheOldForm() throws Exception {
    BinlogPosition inside = new BinlogPosition(42, new BinlogPosition.Overlap("202612040859", 40, 3));
    RowPack pack = (RowPack) roundTrip(new RowPack(new byte[0], inside));
    assertEquals(inside, pack.next());
    assertEquals(new BinlogPosition(7), ((RowPack) roundTrip(new RowPack(new byte[0], new BinlogPosition(7)))).next());

    var plain = cbor.readTree(cbor.writeValueAsBytes(new BinlogPosition(7)));
    assertFalse(plain.has("overlap"), plain.toString());
    assertEquals(Map.of("phase", "binlog", "nextLogIndex", 7), cbor.convertValue(plain, Map.class));

    byte[] journaledBefore = cbor.writeValueAsBytes(Map.of("phase", "binlog", "nextLogIndex", 5));
    assertEquals(new BinlogPosition(5), cbor.readValue(journaledBefore, Position.class));
  }
}
