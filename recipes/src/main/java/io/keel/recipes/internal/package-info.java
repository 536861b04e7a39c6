/**
 * What the recipes share and applications should not import: deadlines, path creation, the
 * ordering of sequential names, and the sequential-queue engine behind locks, semaphores and
 * elections. Depends on {@code io.keel.client} only. No API stability promised here.
 */
package io.keel.recipes.internal;
