#!/usr/bin/env python3
"""Generates the IoT fleet benchmark dataset in InfluxDB line protocol.

1,000 devices x 5 sensors every 10 s over 24 h = 43.2 M samples, time-major (every device at t,
then t + 10 s), ending at the given time so that every store accepts it under default retention.
Devices are tagged by site (20 sites) and type (4 types). Sensor shapes are what fleets report:
temperature with 0.1 resolution, humidity with 0.1 resolution, a cumulative energy counter in
kWh with 3 decimals, a battery level in whole percent that slowly drains, and a 0/1 motion state.

Usage: iot_fleet.py OUT_FILE [--devices N] [--hours H] [--end UNIX_SECONDS]
"""
import argparse
import random
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--interval", type=int, default=10)
    parser.add_argument("--end", type=int, default=int(time.time()) // 10 * 10)
    args = parser.parse_args()

    rng = random.Random(20261122)
    steps = int(args.hours * 3600 / args.interval)
    start = args.end - steps * args.interval
    types = ["thermostat", "meter", "occupancy", "air"]
    devices = []
    for d in range(args.devices):
        tags = f"iot,site=site-{d % 20:02d},device=dev-{d:04d},type={types[d % 4]}"
        devices.append({
            "tags": tags,
            "temp": rng.randint(180, 240),       # tenths of a degree
            "hum": rng.randint(350, 550),        # tenths of a percent
            "energy": rng.randint(0, 10**7),     # Wh
            "battery": rng.randint(60, 100),
            "motion": 0,
        })
    with open(args.out, "w", buffering=1 << 22) as out:
        for step in range(steps):
            ts = (start + step * args.interval) * 1_000_000_000
            lines = []
            for dev in devices:
                dev["temp"] = min(350, max(100, dev["temp"] + rng.choice((-1, 0, 0, 0, 1))))
                dev["hum"] = min(900, max(200, dev["hum"] + rng.choice((-2, -1, 0, 0, 1, 2))))
                dev["energy"] += rng.randint(0, 40)
                if rng.random() < 0.0005:
                    dev["battery"] = max(0, dev["battery"] - 1)
                if rng.random() < 0.02:
                    dev["motion"] = 1 - dev["motion"]
                lines.append(
                    f"{dev['tags']} temperature={dev['temp'] / 10:.1f},humidity={dev['hum'] / 10:.1f},"
                    f"energy_kwh={dev['energy'] / 1000:.3f},battery={dev['battery']}i,"
                    f"motion={dev['motion']}i {ts}\n")
            out.write("".join(lines))


if __name__ == "__main__":
    main()
