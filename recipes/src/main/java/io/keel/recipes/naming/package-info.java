/**
 * Naming and service discovery: {@link io.keel.recipes.naming.ServiceRegistry} registers
 * instances as ephemeral nodes {@code /services/<name>/<id>};
 * {@link io.keel.recipes.naming.ServiceDiscovery} looks them up,
 * {@link io.keel.recipes.naming.ServiceCache} keeps a service's set live and
 * {@link io.keel.recipes.naming.ServiceProvider} picks one by a
 * {@link io.keel.recipes.naming.ProviderStrategy}. Depends on {@code io.keel.client} and
 * {@code io.keel.recipes.internal} only.
 */
package io.keel.recipes.naming;
