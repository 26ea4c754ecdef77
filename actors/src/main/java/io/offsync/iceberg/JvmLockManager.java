package io.offsync.iceberg;

import java.util.HashMap;
import java.util.Map;
import org.apache.iceberg.LockManager;

/**
 * The lock the Hadoop catalog takes around the rename that commits a table's next metadata version, shared by
 * every catalog of the JVM and handed over as soon as it is released. Iceberg's default in-memory lock manager
 * polls a held lock every 5 s, so two subtasks of one synctool committing to the same table at once cost each
 * other up to 5 s per conflict; here a waiter wakes at the release. Across processes the rename itself decides
 * (HDFS refuses to rename onto an existing version), as with Iceberg's default.
 */
public final class JvmLockManager implements LockManager {

  private static final Map<String, String> HELD = new HashMap<>();

  private long timeoutMillis = 180_000;

  @Override
  public void initialize(Map<String, String> properties) {
    String t = properties.get("lock.acquire-timeout-ms");
    if (t != null) {
      timeoutMillis = Long.parseLong(t);
    }
  }

  @Override
  public boolean acquire(String entityId, String ownerId) {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    synchronized (HELD) {
      while (HELD.containsKey(entityId) && !ownerId.equals(HELD.get(entityId))) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          return false;
        }
        try {
          HELD.wait(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      HELD.put(entityId, ownerId);
      return true;
    }
  }

  @Override
  public boolean release(String entityId, String ownerId) {
    synchronized (HELD) {
      if (!ownerId.equals(HELD.get(entityId))) {
        return false;
      }
      HELD.remove(entityId);
      HELD.notifyAll();
      return true;
    }
  }

  @Override
  public void close() {}
}
