package io.offsync.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Meters of a changing set of things (subtasks, open streams), one series per thing and meter, kept equal to the
 * latest snapshot of those things: {@link #update} registers the meters of a thing it has not seen, points the
 * meters of every thing at its new value, and removes from the registry the meters of every thing that is no
 * longer in the snapshot (a deleted task, a closed stream), so nothing leaks.
 *
 * <p>A thing is identified by its tags; when a snapshot holds two things with the same tags the later one wins.
 * Counters report the thing's own cumulative value (it may restart from 0 when the thing does, which Prometheus
 * reads as a counter reset). Thread-safe; a scrape reads the values of the last completed update.
 *
 * @param <T> the snapshot type of one thing
 */
public final class MeterSet<T> {

  private record Definition<T>(String name, String help, boolean counter, ToDoubleFunction<T> value) {}

  private static final class Series<T> {
    private volatile T current;
    private final List<Meter> meters = new ArrayList<>();

    private Series(T current) {
      this.current = current;
    }
  }

  private final MeterRegistry registry;
  private final Function<T, Tags> tags;
  private final List<Definition<T>> definitions;
  private final Map<Tags, Series<T>> series = new HashMap<>();

  private MeterSet(MeterRegistry registry, Function<T, Tags> tags, List<Definition<T>> definitions) {
    this.registry = registry;
    this.tags = tags;
    this.definitions = List.copyOf(definitions);
  }

  /** Starts a set whose things are told apart by {@code tags} (the same tag keys for every thing). */
  public static <T> Builder<T> builder(Function<T, Tags> tags) {
    return new Builder<>(tags);
  }

  /** Makes the meters equal to {@code snapshot}: every thing in it has its series, nothing else has. */
  public synchronized void update(Collection<? extends T> snapshot) {
    Map<Tags, T> now = new LinkedHashMap<>();
    for (T thing : snapshot) {
      now.put(tags.apply(thing), thing);
    }
    Iterator<Map.Entry<Tags, Series<T>>> it = series.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Tags, Series<T>> e = it.next();
      if (!now.containsKey(e.getKey())) {
        e.getValue().meters.forEach(registry::remove);
        it.remove();
      }
    }
    now.forEach((key, thing) -> {
      Series<T> s = series.get(key);
      if (s == null) {
        series.put(key, register(key, thing));
      } else {
        s.current = thing;
      }
    });
  }

  /** How many things the last update held. */
  public synchronized int size() {
    return series.size();
  }

  private Series<T> register(Tags key, T thing) {
    Series<T> s = new Series<>(thing);
    for (Definition<T> d : definitions) {
      ToDoubleFunction<Series<T>> read = x -> d.value().applyAsDouble(x.current);
      s.meters.add(d.counter()
          ? FunctionCounter.builder(d.name(), s, read).tags(key).description(d.help()).register(registry)
          : Gauge.builder(d.name(), s, read).tags(key).description(d.help()).strongReference(true)
              .register(registry));
    }
    return s;
  }

  /** The meters of every thing; {@link #register} them once. */
  public static final class Builder<T> {
    private final Function<T, Tags> tags;
    private final List<Definition<T>> definitions = new ArrayList<>();

    private Builder(Function<T, Tags> tags) {
      this.tags = tags;
    }

    /** A counter named {@code name} (Micrometer dotted name; Prometheus adds {@code _total}). */
    public Builder<T> counter(String name, String help, ToDoubleFunction<T> value) {
      definitions.add(new Definition<>(name, help, true, value));
      return this;
    }

    /** A gauge named {@code name} (Micrometer dotted name). */
    public Builder<T> gauge(String name, String help, ToDoubleFunction<T> value) {
      definitions.add(new Definition<>(name, help, false, value));
      return this;
    }

    public MeterSet<T> register(MeterRegistry registry) {
      return new MeterSet<>(registry, tags, definitions);
    }
  }
}
