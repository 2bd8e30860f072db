import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { CHART_COLOURS, ChartFrame } from "./chart-frame";

export interface ProjectHours {
  name: string;
  hours: number;
}

/** A small horizontal bar chart: the projects with the most hours. */
export function TopProjectsChart({ data, label }: { data: ProjectHours[]; label: string }) {
  return (
    <ChartFrame height={Math.max(100, 30 + data.length * 36)} label={label}>
      {() => (
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} layout="vertical" margin={{ top: 4, right: 24, bottom: 4, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" horizontal={false} />
            <XAxis type="number" unit=" h" />
            <YAxis type="category" dataKey="name" width={160} tick={{ fontSize: 12 }} />
            <Tooltip formatter={(v: unknown) => `${Number(v).toLocaleString("en", { maximumFractionDigits: 2 })} h`} />
            <Bar dataKey="hours" name="Hours" fill={CHART_COLOURS.hours} />
          </BarChart>
        </ResponsiveContainer>
      )}
    </ChartFrame>
  );
}
