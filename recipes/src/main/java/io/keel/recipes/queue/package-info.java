/**
 * Work queues across processes: {@link io.keel.recipes.queue.DistributedQueue}, FIFO within a
 * priority, on persistent sequential nodes, where each element is removed by exactly one consumer
 * and a consumer's crash before it acknowledges gives the element to another. Consumers wait on
 * watches, never poll. Depends on {@code io.keel.client} and {@code io.keel.recipes.internal} only.
 */
package io.keel.recipes.queue;
