// Installed before prevalent loads (import this module first): native methods
// under names no Node version has, standing in for a method a later Node adds
// to a built-in prototype. They are the built-ins' own functions, so they look
// native, as such a method would; each changes its receiver.
const installed: Array<[object, string]> = [];

function install(home: object, name: string, fn: unknown): void {
  Object.defineProperty(home, name, { value: fn, writable: true, configurable: true });
  installed.push([home, name]);
}

install(Map.prototype, 'futureSet', Map.prototype.set);
install(Set.prototype, 'futureAdd', Set.prototype.add);
install(Date.prototype, 'futureTime', Date.prototype.setTime);
install(
  Object.getPrototypeOf(Uint8Array.prototype) as object,
  'futureFill',
  Uint8Array.prototype.fill,
);

/** Takes the stand-ins away again. */
export function uninstallUnknownMethods(): void {
  for (const [home, name] of installed.splice(0)) Reflect.deleteProperty(home, name);
}
