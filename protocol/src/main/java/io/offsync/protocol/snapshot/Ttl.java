package io.offsync.protocol.snapshot;

import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.Type;

/**
 * An index's time-to-live as a disk table applies it when traversing. {@code kRelativeTime} and an unset type count
 * as {@code kAbsoluteTime}; an index without a TTL never expires.
 *
 * <ul>
 *   <li>{@code kAbsoluteTime}: a row expires when {@code ts <= now - absTtl} ({@code absTtl} in minutes, 0 = never).
 *   <li>{@code kLatestTime}: per pk, rows ranked newest first; a row expires when its rank exceeds {@code latTtl}
 *       (0 = never).
 *   <li>{@code kAbsAndLat}: expires when both hold (either bound 0 = never expires).
 *   <li>{@code kAbsOrLat}: expires when either holds (a bound of 0 is ignored; both 0 = never).
 * </ul>
 * Timestamps compare as unsigned 64-bit numbers, as in OpenMLDB.
 *
 * @param type the TTL type ({@code kAbsoluteTime}, {@code kLatestTime}, {@code kAbsAndLat} or {@code kAbsOrLat})
 * @param absTtlMinutes the absolute TTL in minutes
 * @param latTtl how many newest rows per pk are kept
 */
public record Ttl(Type.TTLType type, long absTtlMinutes, long latTtl) {

  /** No expiry. */
  public static final Ttl NONE = new Ttl(Type.TTLType.kAbsoluteTime, 0, 0);

  public Ttl {
    if (type == null || type == Type.TTLType.kRelativeTime) {
      type = Type.TTLType.kAbsoluteTime;
    }
  }

  /** The TTL of a {@code ColumnKey}. */
  public static Ttl of(Common.ColumnKey key) {
    if (!key.hasTtl()) {
      return NONE;
    }
    Common.TTLSt t = key.getTtl();
    return new Ttl(t.getTtlType(), t.getAbsTtl(), t.getLatTtl());
  }

  /** Whether a per-pk rank is needed to decide expiry. */
  public boolean usesRank() {
    return latTtl != 0 && type != Type.TTLType.kAbsoluteTime;
  }

  /** The checker for a traversal started at {@code nowMillis}. */
  public Checker checker(long nowMillis) {
    long expireTime = (absTtlMinutes == 0 || type == Type.TTLType.kLatestTime)
        ? 0 : nowMillis - absTtlMinutes * 60_000L;
    return new Checker(type, expireTime, latTtl);
  }

  /**
   * Expiry as of one moment.
   *
   * @param expireTime rows with {@code ts <= expireTime} (unsigned) are past the absolute TTL; 0 = no absolute bound
   */
  public record Checker(Type.TTLType type, long expireTime, long latTtl) {

    /** Whether the row with timestamp {@code ts} and rank {@code rank} (1 = newest of its pk) has expired. */
    public boolean isExpired(long ts, long rank) {
      boolean absExpired = Long.compareUnsigned(ts, expireTime) <= 0;
      boolean latExpired = Long.compareUnsigned(rank, latTtl) > 0;
      return switch (type) {
        case kAbsoluteTime, kRelativeTime -> expireTime != 0 && absExpired;
        case kLatestTime -> latTtl != 0 && latExpired;
        case kAbsAndLat -> expireTime != 0 && latTtl != 0 && absExpired && latExpired;
        case kAbsOrLat -> {
          if (expireTime == 0) {
            yield latTtl != 0 && latExpired;
          } else if (latTtl == 0) {
            yield absExpired;
          } else {
            yield absExpired || latExpired;
          }
        }
      };
    }
  }
}
