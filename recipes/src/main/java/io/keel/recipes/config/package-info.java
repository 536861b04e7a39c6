/**
 * Config sync: {@link io.keel.recipes.config.SharedValue} (one node),
 * {@link io.keel.recipes.config.ConfigTree} (a tree of nodes) and
 * {@link io.keel.recipes.config.LayeredConfig} (a shared {@code common} config overridden per
 * application, typed through {@link io.keel.recipes.config.ConfigView}). Each keeps the latest
 * values locally through one persistent watch, re-reads after every event so it converges on the
 * last write, and updates by compare-and-set on the node's version. Depends on
 * {@code io.keel.client} and {@code io.keel.recipes.internal} only.
 */
package io.keel.recipes.config;
