package io.offsync.testkit;

import io.offsync.protocol.snapshot.DiskTableLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * How an OpenMLDB cluster chooses partitions, from OpenMLDB's source (facts, not code, carried over):
 *
 * <ul>
 *   <li>{@link #hash64}: {@code openmldb::base::hash64} (src/base/hash.h): MurmurHash64A of the key's bytes with
 *       seed {@code 0xe17a1465}, negated when negative (a signed value, "as same as java client"). The algorithm is
 *       hybridse's {@code MurmurHash64A} as well (hybridse/include/base/fe_hash.h), whose test
 *       (hybridse/src/base/hash_test.cc) gives the vectors our test checks.
 *   <li>{@link #dimensionsByPartition}: a client's insert ({@code SQLInsertRow::GetDimensions},
 *       src/sdk/sql_insert_row.cc): for every index not deleted ({@code flag = 0}), in {@code column_key} order, the
 *       key is its columns' values joined with {@code |} (NULL and empty strings as tokens, see
 *       {@link DiskTableLayout}), and the index's dimension goes to partition {@code hash64(key) % partitions}.
 *       {@code SQLClusterRouter::PutRow} (src/sdk/sql_cluster_router.cc) then sends one {@code Put} per partition,
 *       all with the same put time and row, each carrying only that partition's dimensions.
 *   <li>{@link #putPartition}: {@code hash64(key) % partitions} in signed 64-bit arithmetic (the SDK's insert and
 *       its {@code DELETE ... WHERE} on one index, {@code SQLClusterRouter::SendDeleteRequest}).
 *   <li>{@link #fanOutPartition}: the partition a tablet sends the per-index deletes of its {@code DeleteAllIndex}
 *       to (src/tablet/tablet_impl.cc): {@code static_cast<uint32_t>(hash64(key)) % partitions}, the low 32 bits
 *       first. The same as {@link #putPartition} when the partition count is a power of two; for other counts it can
 *       name another partition than the one the row was put into, and that index keeps the row (OpenMLDB's
 *       behaviour, reproduced).
 * </ul>
 */
public final class PartitionRouting {

  /** OpenMLDB's hash seed. */
  public static final long SEED = 0xe17a1465L;

  private PartitionRouting() {}

  /** {@code openmldb::base::hash64(key)}: MurmurHash64A(UTF-8 bytes, {@link #SEED}), negated when negative. */
  public static long hash64(String key) {
    long h = murmurHash64A(key.getBytes(StandardCharsets.UTF_8), SEED);
    return h < 0 ? -h : h;
  }

  /** The partition a client puts an index key into: {@code hash64(key) % partitions}. */
  public static int putPartition(String key, int partitions) {
    return (int) (hash64(key) % partitions);
  }

  /** The partition a tablet's {@code DeleteAllIndex} sends a key's delete to: {@code (uint32) hash64(key) % n}. */
  public static int fanOutPartition(String key, int partitions) {
    return (int) ((hash64(key) & 0xffff_ffffL) % partitions);
  }

  /**
   * The dimensions of a row per partition, as a client's insert sends them: every index not deleted, keyed by the
   * partition its key hashes to, in {@code column_key} order within a partition; partitions in ascending order.
   *
   * @param values the row's values by column id (see {@link DiskTableLayout#dimensions})
   */
  public static SortedMap<Integer, List<DiskTableLayout.Dimension>> dimensionsByPartition(DiskTableLayout layout,
                                                                                        Object[] values,
                                                                                        int partitions) {
    SortedMap<Integer, List<DiskTableLayout.Dimension>> out = new TreeMap<>();
    for (DiskTableLayout.Dimension d : layout.dimensions(values)) {
      out.computeIfAbsent(putPartition(d.key(), partitions), p -> new ArrayList<>()).add(d);
    }
    return out;
  }

  /** MurmurHash64A (Austin Appleby), 64-bit, little-endian blocks; {@code seed} taken as an unsigned 32-bit int. */
  static long murmurHash64A(byte[] data, long seed) {
    final long m = 0xc6a4a7935bd1e995L;
    final int r = 47;
    int len = data.length;
    long h = seed ^ (len * m);
    int blocks = len / 8;
    for (int i = 0; i < blocks; i++) {
      int o = i * 8;
      long k = (data[o] & 0xffL) | (data[o + 1] & 0xffL) << 8 | (data[o + 2] & 0xffL) << 16
          | (data[o + 3] & 0xffL) << 24 | (data[o + 4] & 0xffL) << 32 | (data[o + 5] & 0xffL) << 40
          | (data[o + 6] & 0xffL) << 48 | (data[o + 7] & 0xffL) << 56;
      k *= m;
      k ^= k >>> r;
      k *= m;
      h ^= k;
      h *= m;
    }
    int tail = blocks * 8;
    switch (len & 7) {
      case 7: h ^= (data[tail + 6] & 0xffL) << 48; // fall through
      case 6: h ^= (data[tail + 5] & 0xffL) << 40; // fall through
      case 5: h ^= (data[tail + 4] & 0xffL) << 32; // fall through
      case 4: h ^= (data[tail + 3] & 0xffL) << 24; // fall through
      case 3: h ^= (data[tail + 2] & 0xffL) << 16; // fall through
      case 2: h ^= (data[tail + 1] & 0xffL) << 8; // fall through
      case 1:
        h ^= data[tail] & 0xffL;
        h *= m;
        break;
      default:
        break;
    }
    h ^= h >>> r;
    h *= m;
    h ^= h >>> r;
    return h;
  }
}
