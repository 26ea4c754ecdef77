package io.offsync.membership;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.pekko.actor.Address;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * The cluster members registered in ZooKeeper: {@code <zk_root_path>/sync_tool/cluster/<host>:<port>}, one
 * ephemeral node per member that is {@code Up}, data = its role ({@code synctool} or {@code collector}). A
 * starting node reads it to find the live cluster instead of forming a new one.
 *
 * <p>An entry outlives a killed process until its ZooKeeper session expires, so {@link #live} keeps only the
 * entries whose cluster port accepts a TCP connection, and a node deletes the entry of its own address before it
 * joins (the process that wrote it is gone: this one holds the port now).
 */
final class MemberDirectory {

  /** One registered member; {@code order} is the creation zxid of its entry (older entry, lower order). */
  record Entry(String hostPort, String role, long order) {
    Address address(String system) {
      int colon = hostPort.lastIndexOf(':');
      return new Address("pekko", system, hostPort.substring(0, colon),
          Integer.parseInt(hostPort.substring(colon + 1)));
    }
  }

  private final CuratorFramework zk;
  private final String dir;
  private PersistentNode own;

  MemberDirectory(CuratorFramework zk, String zkRoot) {
    this.zk = zk;
    String root = zkRoot.endsWith("/") ? zkRoot.substring(0, zkRoot.length() - 1) : zkRoot;
    this.dir = root + "/sync_tool/cluster";
  }

  /** Path of the lock a node holds while it decides to form a new cluster. */
  String formationLockPath() {
    return dir + "_formation";
  }

  static String hostPort(Address a) {
    return a.getHost().get() + ":" + a.getPort().get();
  }

  /** Every registered entry, oldest first. */
  List<Entry> entries() throws Exception {
    List<Entry> out = new ArrayList<>();
    List<String> children;
    try {
      children = zk.getChildren().forPath(dir);
    } catch (KeeperException.NoNodeException e) {
      return out;
    }
    for (String child : children) {
      Stat stat = new Stat();
      try {
        byte[] data = zk.getData().storingStatIn(stat).forPath(dir + "/" + child);
        out.add(new Entry(child, new String(data, StandardCharsets.UTF_8), stat.getCzxid()));
      } catch (KeeperException.NoNodeException e) {
        // gone between the listing and the read
      }
    }
    out.sort(Comparator.comparingLong(Entry::order));
    return out;
  }

  /** The entries other than {@code self} whose cluster port accepts a connection within {@code probe}. */
  List<Entry> live(Address self, Duration probe) throws Exception {
    String me = hostPort(self);
    List<Entry> out = new ArrayList<>();
    for (Entry e : entries()) {
      if (!e.hostPort().equals(me) && accepts(e.hostPort(), probe)) {
        out.add(e);
      }
    }
    return out;
  }

  static boolean accepts(String hostPort, Duration timeout) {
    int colon = hostPort.lastIndexOf(':');
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1))),
          (int) timeout.toMillis());
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** Deletes the entry left by an earlier process on {@code self}'s address, if any. */
  void deleteStale(Address self) throws Exception {
    try {
      zk.delete().forPath(dir + "/" + hostPort(self));
    } catch (KeeperException.NoNodeException e) {
      // nothing left behind
    }
  }

  /** Registers {@code self}; Curator re-creates the entry after a session loss until {@link #deregister}. */
  synchronized void register(Address self, String role) throws Exception {
    if (own != null) {
      return;
    }
    zk.createContainers(dir);
    own = new PersistentNode(zk, CreateMode.EPHEMERAL, false, dir + "/" + hostPort(self),
        role.getBytes(StandardCharsets.UTF_8));
    own.start();
  }

  synchronized void deregister() {
    if (own != null) {
      try {
        own.close();
      } catch (IOException e) {
        // the session ends with the process anyway
      }
      own = null;
    }
  }
}
