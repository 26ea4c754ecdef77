package io.offsync.collector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.offsync.protocol.position.BinlogPosition;
import io.offsync.protocol.position.Position;
import io.offsync.protocol.position.SnapshotPosition;
import java.io.NotSerializableException;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** RowPacks go through {@link RowPackSerializer} as configured, and come back equal for every kind of position. */
@ExtendWith(LogCapturingExtension.class)
class RowPackSerializerTest {

  private static final ActorTestKit KIT = ActorTestKit.create();

  @AfterAll
  static void stop() {
    KIT.shutdownTestKit();
  }

  @Test
  void everyKindOfPackRoundTripsThroughTheConfiguredSerializer() throws Exception {
    Serialization serialization = SerializationExtension.get(KIT.system().classicSystem());
    byte[] rows = new byte[1 << 20];
    new Random(3).nextBytes(rows);
    List<RowPack> packs = List.of(RowPack.heartbeat(), new RowPack(rows, null),
        new RowPack(rows, new BinlogPosition(Long.MAX_VALUE)), new RowPack(new byte[0], new BinlogPosition(1)),
        new RowPack(Arrays.copyOf(rows, 77), Position.start()),
        new RowPack(rows, new SnapshotPosition("202612040900", 42, new byte[] {1, 0, -1})),
        new RowPack(rows, new SnapshotPosition("sn\u00e4pshot", 0, new byte[0])),
        new RowPack(rows, new BinlogPosition(43, new BinlogPosition.Overlap("202612040900", 42, 0))),
        new RowPack(new byte[0], new BinlogPosition(Long.MAX_VALUE, new BinlogPosition.Overlap("x", 7, 63))));
    for (RowPack pack : packs) {
      Serializer serializer = serialization.findSerializerFor(pack);
      assertEquals(RowPackSerializer.class, serializer.getClass());
      byte[] bytes = serialization.serialize(pack).get();
      RowPack back = (RowPack) serialization.deserialize(bytes, serializer.identifier(),
          ((RowPackSerializer) serializer).manifest(pack)).get();
      assertArrayEquals(pack.data(), back.data(), pack.toString());
      assertEquals(pack.next(), back.next(), pack.toString());
      assertEquals(pack.data().length + 200 > bytes.length, true, "no more than a small header: " + bytes.length);
    }
  }

  @Test
  void aTruncatedFormIsRefusedWithAReason() {
    RowPackSerializer s = new RowPackSerializer();
    byte[] bytes = s.toBinary(new RowPack(new byte[10], new SnapshotPosition("name", 5, new byte[8])));
    NotSerializableException e = assertThrows(NotSerializableException.class,
        () -> s.fromBinary(Arrays.copyOf(bytes, 9), "P"));
    assertEquals(true, e.getMessage().contains("truncated"), e.getMessage());
    assertThrows(NotSerializableException.class, () -> s.fromBinary(bytes, "X"));
  }
}
