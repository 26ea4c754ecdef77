package io.offsync.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The bound on blocking calls: results and failures pass through, a call over the limit is given up. */
class IoTimeoutTest {

  private final IoTimeout bound = new IoTimeout(Duration.ofMillis(200));

  @Test
  void aCallWithinTheLimitReturnsItsResultOrItsFailure() throws Exception {
    assertEquals("done", bound.call("quick", () -> "done"));
    IOException failure = new IOException("disk full");
    assertSame(failure, assertThrows(IOException.class, () -> bound.call("failing", () -> {
      throw failure;
    })));
  }

  @Test
  void aCallOverTheLimitFailsNamingItselfAndIsInterrupted() throws Exception {
    CountDownLatch interrupted = new CountDownLatch(1);
    IOException e = assertThrows(IOException.class, () -> bound.call("hsync of part 7", () -> {
      try {
        new CountDownLatch(1).await(); // a call that only an interrupt ends
      } catch (InterruptedException ie) {
        interrupted.countDown();
      }
      return null;
    }));
    assertTrue(e.getMessage().contains("hsync of part 7") && e.getMessage().contains("200 ms"), e.getMessage());
    assertTrue(e.getCause() instanceof TimeoutException, String.valueOf(e.getCause()));
    assertTrue(interrupted.await(30, TimeUnit.SECONDS), "the hung call's thread was interrupted");
  }

  @Test
  void theCleanupOfACallThatIgnoresTheInterruptRunsOnItsThreadOnceItReturns() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean returned = new AtomicBoolean();
    AtomicReference<Thread> callThread = new AtomicReference<>();
    IoTimeout.Call<Void> call = bound.start("stubborn", () -> {
      callThread.set(Thread.currentThread());
      while (true) {
        try {
          if (release.await(10, TimeUnit.MILLISECONDS)) {
            break;
          }
        } catch (InterruptedException ignored) {
          // keeps waiting, as a call stuck in uninterruptible I/O would
        }
      }
      returned.set(true);
      return null;
    });
    assertThrows(IOException.class, call::await);
    assertTrue(call.abandoned());
    CountDownLatch cleaned = new CountDownLatch(1);
    AtomicReference<Thread> cleanupThread = new AtomicReference<>();
    AtomicBoolean returnedBeforeCleanup = new AtomicBoolean();
    call.afterReturn(() -> {
      returnedBeforeCleanup.set(returned.get());
      cleanupThread.set(Thread.currentThread());
      cleaned.countDown();
    });
    assertFalse(cleaned.await(100, TimeUnit.MILLISECONDS), "no cleanup while the call still runs");
    release.countDown();
    assertTrue(cleaned.await(30, TimeUnit.SECONDS));
    assertTrue(returnedBeforeCleanup.get());
    assertSame(callThread.get(), cleanupThread.get());
  }
}
