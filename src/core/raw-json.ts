import { Exclude, Transform, Type } from 'class-transformer';

/** What class-transformer builds while passing over a raw JSON property: a class that exposes no key. */
@Exclude()
class Opaque {}

/**
 * A DTO property holding the caller's own JSON (a message's `data`), kept exactly as it was parsed.
 * class-transformer would rebuild it: it drops keys named like Object's methods (`constructor`,
 * `toString`, `valueOf`, `hasOwnProperty`) and `__proto__`, throws on some, and recurses without a
 * depth limit. Typed as Opaque it copies nothing and walks one level only; the Transform then puts
 * the very value of the plain object back on the instance.
 */
export function RawJson(): PropertyDecorator {
  const opaque = Type(() => Opaque);
  const original = Transform(({ obj, key }) => (obj as Record<string, unknown>)[key], { toClassOnly: true });
  return (target, key) => {
    opaque(target, key);
    original(target, key);
  };
}
