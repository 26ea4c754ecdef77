package io.offsync.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Type;
import io.offsync.protocol.snapshot.DiskTableLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PartitionRoutingTest {

  /** The vectors of OpenMLDB's own test of MurmurHash64A (hybridse/src/base/hash_test.cc). */
  @Test
  void murmurHash64AMatchesOpenMldbsTestVectors() {
    assertEquals(-4155090522938856779L,
        PartitionRouting.murmurHash64A("hello".getBytes(StandardCharsets.UTF_8), PartitionRouting.SEED));
    assertEquals(-2087233940855511134L,
        PartitionRouting.murmurHash64A(new byte[] {-1, -1, -1, -1}, PartitionRouting.SEED)); // int32 -1, LE
    assertEquals(4155090522938856779L, PartitionRouting.hash64("hello"), "hash64 negates a negative hash");
  }

  @Test
  void putAndFanOutPartitionsDifferOnlyForCountsThatAreNotPowersOfTwo() {
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
      String key = "k" + i;
      for (int n : new int[] {1, 2, 4, 8}) {
        assertEquals(PartitionRouting.putPartition(key, n), PartitionRouting.fanOutPartition(key, n));
      }
      int p = PartitionRouting.putPartition(key, 3);
      assertTrue(p >= 0 && p < 3);
      differ += p != PartitionRouting.fanOutPartition(key, 3) ? 1 : 0;
    }
    assertTrue(differ > 0, "(uint32) hash64 % 3 and hash64 % 3 disagree on some keys");
  }

  @Test
  void aRowsDimensionsGoToThePartitionsOfTheirKeys() {
    NS.TableInfo t = NS.TableInfo.newBuilder().setName("t")
        .addColumnDesc(Common.ColumnDesc.newBuilder().setName("a").setDataType(Type.DataType.kString))
        .addColumnDesc(Common.ColumnDesc.newBuilder().setName("b").setDataType(Type.DataType.kInt))
        .addColumnDesc(Common.ColumnDesc.newBuilder().setName("c").setDataType(Type.DataType.kBool))
        .addColumnKey(Common.ColumnKey.newBuilder().setIndexName("i0").addColName("a"))
        .addColumnKey(Common.ColumnKey.newBuilder().setIndexName("gone").addColName("b").setFlag(1))
        .addColumnKey(Common.ColumnKey.newBuilder().setIndexName("i2").addColName("b").addColName("c"))
        .addColumnKey(Common.ColumnKey.newBuilder().setIndexName("i3").addColName("a").addColName("b")).build();
    DiskTableLayout layout = DiskTableLayout.of(t);
    Object[] row = {"x", 7, true};
    Map<Integer, List<DiskTableLayout.Dimension>> byPid = PartitionRouting.dimensionsByPartition(layout, row, 8);
    List<DiskTableLayout.Dimension> all = byPid.values().stream().flatMap(List::stream).toList();
    assertEquals(List.of(0, 2, 3), all.stream().map(DiskTableLayout.Dimension::index).sorted().toList(),
        "every index but the deleted one, once");
    byPid.forEach((pid, dims) -> dims.forEach(d -> assertEquals(pid, PartitionRouting.putPartition(d.key(), 8))));
    assertTrue(all.contains(new DiskTableLayout.Dimension(2, "7|true")));
    assertTrue(all.contains(new DiskTableLayout.Dimension(3, "x|7")));
  }
}
