import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { CHART_COLOURS, ChartFrame } from "./chart-frame";

export interface HoursPoint {
  label: string;
  hours: number;
  billableHours: number;
}

const formatHours = (v: unknown) => `${Number(v).toLocaleString("en", { maximumFractionDigits: 2 })} h`;

/** Hours and billable hours per group: bars for clients, projects and members; lines over weeks and months. */
export function HoursChart({
  data,
  over,
  label,
  height = 300,
}: {
  data: HoursPoint[];
  over: "groups" | "time";
  label: string;
  height?: number;
}) {
  return (
    <ChartFrame height={height} label={label}>
      {() => (
        <ResponsiveContainer width="100%" height="100%">
          {over === "time" ? (
            <LineChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="label" />
              <YAxis unit=" h" />
              <Tooltip formatter={formatHours} />
              <Legend />
              <Line type="monotone" dataKey="hours" name="Hours" stroke={CHART_COLOURS.hours} strokeWidth={2} />
              <Line type="monotone" dataKey="billableHours" name="Billable hours" stroke={CHART_COLOURS.billable} strokeWidth={2} />
            </LineChart>
          ) : (
            <BarChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="label" interval={data.length <= 12 ? 0 : "preserveStartEnd"} tick={{ fontSize: 12 }} />
              <YAxis unit=" h" />
              <Tooltip formatter={formatHours} />
              <Legend />
              <Bar dataKey="hours" name="Hours" fill={CHART_COLOURS.hours} />
              <Bar dataKey="billableHours" name="Billable hours" fill={CHART_COLOURS.billable} />
            </BarChart>
          )}
        </ResponsiveContainer>
      )}
    </ChartFrame>
  );
}
