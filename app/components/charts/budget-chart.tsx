import { Bar, BarChart, CartesianGrid, Cell, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { CHART_COLOURS, ChartFrame } from "./chart-frame";

export interface BudgetPoint {
  name: string;
  percent: number;
  overBudget: boolean;
}

/** Budget burn as horizontal bars, one per project, with the budget (100 %) marked; over-budget bars in red. */
export function BudgetChart({ data, label }: { data: BudgetPoint[]; label: string }) {
  const height = Math.max(120, 40 + data.length * 32);
  return (
    <ChartFrame height={height} label={label}>
      {() => (
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} layout="vertical" margin={{ top: 8, right: 24, bottom: 8, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" horizontal={false} />
            <XAxis type="number" unit=" %" domain={[0, (max: number) => Math.max(100, max)]} />
            <YAxis type="category" dataKey="name" width={160} tick={{ fontSize: 12 }} />
            <Tooltip formatter={(v: unknown) => `${String(v)} % of budget`} />
            <ReferenceLine x={100} stroke={CHART_COLOURS.over} strokeDasharray="4 4" />
            <Bar dataKey="percent" name="Budget used">
              {data.map((d, i) => (
                <Cell key={i} fill={d.overBudget ? CHART_COLOURS.over : CHART_COLOURS.hours} />
              ))}
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      )}
    </ChartFrame>
  );
}
