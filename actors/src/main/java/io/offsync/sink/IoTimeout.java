package io.offsync.sink;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An upper bound on blocking file-system calls (HDFS create, write, hflush/hsync, close, rename, delete, list).
 *
 * <p>The Hadoop client bounds most calls by its own settings (a DataNode that stops acknowledging fails the write
 * pipeline after {@code dfs.client.socket-timeout}, a NameNode call gives up after {@code ipc.client.rpc-timeout.ms}
 * and the retry policy), but those bounds differ per deployment, multiply with retries, and some are infinite
 * ({@code ipc.client.rpc-timeout.ms = 0} waits for a NameNode that still accepts pings). This class makes the
 * bound offsync's own: the call runs (as the destination's {@link DestinationUser}) on a daemon thread of a shared pool while the caller waits at most
 * {@code limit}. When the limit passes, the calling thread gets an {@link IOException} naming the call and the
 * limit, and the call's thread is interrupted (the HDFS client gives up with an {@code InterruptedIOException}).
 * A call that ignores the interrupt keeps its thread until it returns; {@link Call#afterReturn} queues what must
 * happen then (closing an abandoned file), so nothing the caller abandoned is used by two threads at once.
 *
 * <p>A timed-out call may still take effect later (an RPC already sent is executed by the NameNode). Callers must
 * therefore only abandon work that is not journaled: a part file whose FileCommitting is not journaled is never
 * renamed, and a commit step is idempotent and repeated.
 */
public final class IoTimeout {

  /** A blocking call. */
  @FunctionalInterface
  public interface IoCall<T> {
    T call() throws IOException;
  }

  private static final ExecutorService POOL = Executors.newCachedThreadPool(daemon("offsync-fs-call-"));
  private static final ScheduledThreadPoolExecutor TIMER = timer();

  private final Duration limit;
  private final DestinationUser user;

  /** Calls run as the process user. */
  public IoTimeout(Duration limit) {
    this(limit, DestinationUser.processUser());
  }

  /** Calls run as {@code user} (its Kerberos principal, when it has one). */
  public IoTimeout(Duration limit, DestinationUser user) {
    if (limit.isNegative() || limit.isZero()) {
      throw new IllegalArgumentException("file system call timeout must be positive, got " + limit);
    }
    this.limit = limit;
    this.user = user;
  }

  public Duration limit() {
    return limit;
  }

  /** Runs {@code body} and waits for it at most the limit; a timeout throws an IOException naming {@code what}. */
  public <T> T call(String what, IoCall<T> body) throws IOException {
    return start(what, body).await();
  }

  /** Starts {@code body}; the returned call fails with an IOException naming {@code what} once the limit passes. */
  public <T> Call<T> start(String what, IoCall<T> body) {
    Call<T> call = new Call<>(what, () -> user.call(body));
    call.expiry = TIMER.schedule(call::expire, limit.toNanos(), TimeUnit.NANOSECONDS);
    POOL.execute(call::run);
    return call;
  }

  /** Same as {@link #start}, as a future (for actors: pipe it to self). */
  public <T> CompletableFuture<T> async(String what, IoCall<T> body) {
    return start(what, body).result;
  }

  /** One bounded call. */
  public final class Call<T> {
    private static final int RUNNING = 0;
    private static final int RETURNED = 1;
    private static final int ABANDONED = 2;

    private final String what;
    /** Dropped once run: what it captured (a pack of rows) must not live as long as the timer entry. */
    private IoCall<T> body;
    /** The pending expiry, cancelled (and so removed from the timer's queue) when the call returns in time. */
    private volatile ScheduledFuture<?> expiry;
    private final CompletableFuture<T> result = new CompletableFuture<>();
    private final AtomicInteger state = new AtomicInteger(RUNNING);
    private Thread runner;
    private Runnable afterReturn;

    private Call(String what, IoCall<T> body) {
      this.what = what;
      this.body = body;
    }

    /** Waits for the result; a timeout or failure of the call is thrown as an IOException. */
    public T await() throws IOException {
      try {
        return result.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        expire();
        throw new IOException(what + ": interrupted while waiting for the file system", e);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof IOException io) {
          throw io;
        }
        if (cause instanceof RuntimeException re) {
          throw re;
        }
        if (cause instanceof Error err) {
          throw err;
        }
        throw new IOException(what + ": " + cause, cause);
      }
    }

    /** Whether the call outlived the limit and was given up. */
    public boolean abandoned() {
      return state.get() == ABANDONED;
    }

    /**
     * Runs {@code cleanup} once the call has returned, on the call's thread (or on a thread of the pool if it has
     * returned already), never on the caller's: a cleanup may block as long as the call did. At most one per call.
     */
    public void afterReturn(Runnable cleanup) {
      synchronized (this) {
        if (runner != null || state.get() == RUNNING) {
          afterReturn = cleanup;
          return;
        }
      }
      POOL.execute(cleanup);
    }

    private void run() {
      boolean start;
      synchronized (this) {
        start = state.get() == RUNNING; // not when it expired while queued
        if (start) {
          runner = Thread.currentThread();
        }
      }
      T value = null;
      Throwable failure = null;
      if (start) {
        try {
          value = body.call();
        } catch (IOException | RuntimeException | Error e) {
          failure = e;
        }
      }
      Runnable cleanup;
      synchronized (this) {
        if (state.compareAndSet(RUNNING, RETURNED)) { // else the expiry has completed the result already
          if (failure == null) {
            result.complete(value);
          } else {
            result.completeExceptionally(failure);
          }
        }
        body = null;
        runner = null;
        Thread.interrupted(); // an expiry's interrupt must not reach the pool's next task
        cleanup = afterReturn;
        afterReturn = null;
      }
      ScheduledFuture<?> pending = expiry;
      if (pending != null) {
        pending.cancel(false);
      }
      if (cleanup != null) {
        cleanup.run();
      }
    }

    /** The limit passed: fails the result first (so the call can no longer succeed), then interrupts it. */
    private void expire() {
      synchronized (this) {
        if (!state.compareAndSet(RUNNING, ABANDONED)) {
          return;
        }
        result.completeExceptionally(new IOException(what + " did not finish within " + limit.toMillis()
            + " ms (offsync.sync.fs-call-timeout); the file system is hung or unreachable",
            new TimeoutException(what)));
        if (runner != null) {
          runner.interrupt();
        }
      }
    }
  }

  private static ScheduledThreadPoolExecutor timer() {
    ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, daemon("offsync-fs-call-timer-"));
    t.setRemoveOnCancelPolicy(true);
    return t;
  }

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
