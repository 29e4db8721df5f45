/**
 * Whether this process delivers. Off until the host starts, off again while another process holds
 * the delivery lock (commands still run, against the log), and off for good once the host stops.
 * Every part of the host asks it instead of keeping a flag of its own.
 */
export class DeliverySwitch {
  private state: 'off' | 'on' | 'stopped' = 'off';

  /** Steps, feed messages and timers act only while this is true. */
  get on(): boolean {
    return this.state === 'on';
  }

  /** Off because another process may be delivering (not because this one stops). */
  get standingBy(): boolean {
    return this.state === 'off';
  }

  turnOn(): void {
    if (this.state !== 'stopped') {
      this.state = 'on';
    }
  }

  standBy(): void {
    if (this.state !== 'stopped') {
      this.state = 'off';
    }
  }

  stop(): void {
    this.state = 'stopped';
  }
}
