package io.offsync.protocol.snapshot;

import static io.offsync.protocol.snapshot.TestTables.col;
import static io.offsync.protocol.snapshot.TestTables.index;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.openmldb.Type;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;

class DiskTableLayoutTest {

  private final DiskTableLayout wide = DiskTableLayout.of(TestTables.wide("t").build());

  @Test
  void indexesWithEqualKeyColumnsShareAnInnerIndexInColumnKeyOrder() {
    assertEquals(List.of("default", "idx_id", "idx_name", "idx_multi", "idx_del"), wide.columnFamilies());
    List<DiskTableLayout.InnerIndex> inner = wide.innerIndexes();
    assertEquals(List.of(0, 2, 5), inner.get(0).indexes().stream().map(DiskTableLayout.Index::id).toList());
    assertTrue(inner.get(0).keysHaveTsColumnId());
    assertFalse(inner.get(1).keysHaveTsColumnId());
    assertEquals(List.of(0, 1, 0, 2, 3, 0),
        wide.indexes().stream().map(DiskTableLayout.Index::innerPosition).toList());
    assertTrue(wide.index(4).deleted());
  }

  @Test
  void tsColumnIdIsTheSchemaPositionOrAllOnesForThePutTime() {
    assertEquals(3, wide.index(0).tsColumnId());
    assertEquals(4, wide.index(2).tsColumnId());
    assertEquals(7, wide.index(5).tsColumnId(), "added columns continue the count");
    assertNull(wide.index(3).tsColumn());
    assertEquals(-1, wide.index(3).tsColumnId());
  }

  @Test
  void keysCarryTheTsColumnIdOnlyInSharedFamilies() {
    byte[] shared = wide.key(wide.index(2), "k1", 0x0102L);
    assertArrayEquals(new byte[] {'k', '1', 4, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0}, shared);
    byte[] alone = wide.key(wide.index(1), "k1", 0x0102L);
    assertArrayEquals(new byte[] {'k', '1', 2, 1, 0, 0, 0, 0, 0, 0}, alone);
    assertEquals(new DiskKey("k1".getBytes(StandardCharsets.UTF_8), 4, 0x0102L), wide.parseKey(wide.index(2), shared));
  }

  @Test
  void pkStringsFollowTheClientEncoding() {
    Object[] row = {"u1", "", 5L, 1_700_000_000_000L, 9L, LocalDate.of(2024, 3, 7), true, 11L};
    List<DiskTableLayout.Dimension> dims = wide.dimensions(row);
    assertEquals(List.of(
        new DiskTableLayout.Dimension(0, "u1"),
        new DiskTableLayout.Dimension(1, "!@#$%"),
        new DiskTableLayout.Dimension(2, "u1"),
        new DiskTableLayout.Dimension(3, "u1|" + ((124 << 16) | (2 << 8) | 7)),
        new DiskTableLayout.Dimension(5, "u1")), dims, "deleted index 4 gets no dimension");
    Object[] nulls = {null, "n", 5L, 1L, 9L, null, false, 11L};
    assertEquals("!N@U#L$L%|!N@U#L$L%", wide.pk(wide.index(3), nulls));
    assertEquals("false", wide.pk(wide.index(4), nulls));
    assertEquals(1L, wide.ts(wide.index(0), nulls, 99L));
    assertEquals(99L, wide.ts(wide.index(3), nulls, 99L));
    assertEquals(8257543, DiskTableLayout.encodeDate(LocalDate.of(2026, 1, 7)));
  }

  @Test
  void dateEncodingMatchesTheOfficialCodec() {
    for (LocalDate d = LocalDate.of(1900, 1, 1); d.isBefore(LocalDate.of(2100, 1, 1)); d = d.plusDays(37)) {
      assertEquals(com._4paradigm.openmldb.common.codec.CodecUtil.dateToDateInt(java.sql.Date.valueOf(d)),
          DiskTableLayout.encodeDate(d), d::toString);
    }
  }

  @Test
  void integersAndTimestampsAreDecimal() {
    DiskTableLayout l = DiskTableLayout.of(TestTables.table("n")
        .addColumnDesc(col("a", Type.DataType.kSmallInt)).addColumnDesc(col("b", Type.DataType.kInt))
        .addColumnDesc(col("c", Type.DataType.kBigInt)).addColumnDesc(col("t", Type.DataType.kTimestamp))
        .addColumnDesc(col("f", Type.DataType.kFloat))
        .addColumnKey(index("i", List.of("a", "b", "c", "t"), "t"))
        .addColumnKey(index("j", List.of("f"), null)).build());
    assertEquals("-3|-70000|-9000000000|1700000000000",
        l.pk(l.index(0), new Object[] {(short) -3, -70000, -9_000_000_000L, 1_700_000_000_000L, 1f}));
    assertThrows(IllegalArgumentException.class, () -> l.pk(l.index(1), new Object[] {1, 2, 3L, 4L, 1.5f}));
    assertThrows(IllegalArgumentException.class,
        () -> l.ts(l.index(0), new Object[] {(short) 1, 2, 3L, -4L, 1f}, 0L), "negative ts is refused");
  }

  @Test
  void badDescriptionsAreNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DiskTableLayout.of(
        TestTables.table("bad").addColumnDesc(col("a", Type.DataType.kString))
            .addColumnKey(index("i", List.of("nope"), null)).build()));
    assertTrue(e.getMessage().contains("nope"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DiskTableLayout.of(
        TestTables.table("bad").addColumnDesc(col("a", Type.DataType.kString))
            .addColumnKey(index("i", List.of("a"), "a")).build()));
    assertTrue(e.getMessage().contains("bigint or timestamp"), e.getMessage());
  }

  @Test
  void aTableWithoutIndexesGetsTheDefaultIndex() {
    DiskTableLayout l = DiskTableLayout.of(TestTables.table("plain")
        .addColumnDesc(col("a", Type.DataType.kString)).build());
    assertEquals(List.of("default", "idx0"), l.columnFamilies());
    assertEquals(-1, l.index(0).tsColumnId());
  }
}
