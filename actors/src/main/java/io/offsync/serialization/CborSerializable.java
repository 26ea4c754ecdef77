package io.offsync.serialization;

/**
 * Marker for messages, events and state serialized with Pekko's Jackson CBOR serializer (bound to
 * {@code jackson-cbor} in the configuration). Everything that crosses a node boundary or goes into the journal
 * implements it.
 */
public interface CborSerializable {}
