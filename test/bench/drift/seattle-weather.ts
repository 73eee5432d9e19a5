/**
 * Seattle daily weather 2012–2015 (vega-datasets, shipped in the npm package: nothing is downloaded): the
 * real data the drift benchmark's streams are drawn from. Rows are [precipitation, temp_max, temp_min,
 * wind, weather code]; the weather code is categorical.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const WEATHER_FEATURES = ['precipitation', 'temp_max', 'temp_min', 'wind', 'weather'] as const;
export const WEATHER_CODES = ['sun', 'rain', 'drizzle', 'fog', 'snow'] as const;
export const CATEGORICAL_FEATURE = 4;

export interface WeatherDay {
  readonly month: number; // 1..12
  readonly row: readonly number[];
}

let cache: WeatherDay[] | undefined;

export function seattleWeather(): WeatherDay[] {
  if (cache !== undefined) return cache;
  const require = createRequire(import.meta.url);
  // The package exports only its JS entry (build/index.js); the CSV files sit in data/ beside build/.
  const dir = dirname(dirname(require.resolve('vega-datasets')));
  const lines = readFileSync(join(dir, 'data', 'seattle-weather.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  cache = lines.map((line) => {
    const [date, precipitation, tempMax, tempMin, wind, weather] = line.split(',');
    const code = WEATHER_CODES.indexOf(weather as (typeof WEATHER_CODES)[number]);
    if (code < 0) throw new Error(`unknown weather ${weather} in seattle-weather.csv`);
    return {
      month: Number(date!.slice(5, 7)),
      row: [Number(precipitation), Number(tempMax), Number(tempMin), Number(wind), code],
    };
  });
  return cache;
}
