package io.offsync.synctool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.offsync.protocol.admin.SubtaskStatus;
import io.offsync.protocol.position.BinlogPosition;
import io.offsync.protocol.position.Position;
import io.offsync.protocol.position.SnapshotPosition;
import io.offsync.synctool.admin.AdminException;
import io.offsync.sync.SyncTaskException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** How engine positions and refusals are shown (the engine itself runs in SyncToolNodeTest). */
class EngineTaskAdminTest {

  static SubtaskStatus shown(Position p) {
    SubtaskStatus.Builder b = SubtaskStatus.newBuilder();
    EngineTaskAdmin.position(b, p);
    return b.build();
  }

  @Test
  void snapshotKeysShowAsTheOriginalsPkAndTs() {
    byte[] pk = "user|42".getBytes(StandardCharsets.UTF_8);
    byte[] key = ByteBuffer.allocate(pk.length + 8).order(ByteOrder.LITTLE_ENDIAN).put(pk).putLong(1681000000000L)
        .array();
    SubtaskStatus s = shown(new SnapshotPosition("202305111230", 1024, key));
    assertEquals("snapshot", s.getPhase());
    assertEquals("user|42", s.getSnapshotKeyPk());
    assertEquals(1681000000000L, s.getSnapshotKeyTs());
    assertEquals("snapshot 202305111230 key user|42@1681000000000", s.getPosition());

    SubtaskStatus start = shown(Position.start());
    assertEquals("snapshot", start.getPhase());
    assertEquals("", start.getSnapshotKeyPk());
    assertEquals("snapshot start", start.getPosition());

    SubtaskStatus binlog = shown(new BinlogPosition(51));
    assertEquals("binlog", binlog.getPhase());
    assertEquals(51, binlog.getBinlogOffset());
    assertEquals("binlog 51", binlog.getPosition());
  }

  @Test
  void engineRefusalsKeepTheirTextAndGetAStatusCode() {
    AdminException e = EngineTaskAdmin.translate(new SyncTaskException("sync task demo.t already exists"));
    assertEquals(AdminException.Kind.ALREADY_EXISTS, e.kind());
    assertEquals("sync task demo.t already exists", e.getMessage());
    assertEquals(AdminException.Kind.NOT_FOUND,
        EngineTaskAdmin.translate(new SyncTaskException("table demo.x does not exist in OpenMLDB")).kind());
    assertEquals(AdminException.Kind.PRECONDITION,
        EngineTaskAdmin.translate(new SyncTaskException("no live collector on host h")).kind());
  }
}
