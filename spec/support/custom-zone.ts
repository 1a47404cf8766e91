import { Zone } from 'luxon';

/**
 * A luxon Zone of the program's own (a Zone subclass, which no encoding can
 * name): a fixed `minutes` east of UTC under `name`, as no IANA zone is named.
 */
export function customZone(name: string, minutes: number): Zone {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  const text = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  class CustomZone extends Zone {
    override get type(): string {
      return 'custom';
    }
    override get name(): string {
      return name;
    }
    override get isUniversal(): boolean {
      return true;
    }
    override get isValid(): boolean {
      return true;
    }
    override offsetName(): string {
      return name;
    }
    override formatOffset(): string {
      return text;
    }
    override offset(): number {
      return minutes;
    }
    override equals(other: Zone): boolean {
      return other instanceof CustomZone;
    }
  }
  return new CustomZone();
}
