import type { ParamField } from '../../graph/param-fields';
import { BooleanWidget } from './boolean.widget';
import { BoxesWidget } from './boxes.widget';
import { ColorWidget } from './color.widget';
import { ImageWidget } from './image.widget';
import { JsonWidget } from './json.widget';
import { ModelWidget } from './model.widget';
import { NumberWidget } from './number.widget';
import { PointsWidget } from './points.widget';
import { SeedWidget } from './seed.widget';
import { SelectWidget } from './select.widget';
import { TextWidget } from './text.widget';

interface Props {
  field: ParamField;
  value: unknown;
  onChange(value: unknown): void;
  idPrefix: string;
  usedSeed?: number;
  nodeId?: string;
}

/** The widget for a param, chosen from its schema (see graph/param-fields.ts). */
export function ParamWidget({ field, ...rest }: Props) {
  switch (field.kind) {
    case 'slider':
    case 'number':
      return <NumberWidget field={field} {...rest} />;
    case 'select':
      return <SelectWidget field={field} {...rest} />;
    case 'text':
      return <TextWidget field={field} {...rest} />;
    case 'seed':
      return <SeedWidget field={field} {...rest} />;
    case 'image':
      return <ImageWidget field={field} {...rest} />;
    case 'model':
      return <ModelWidget field={field} {...rest} />;
    case 'color':
      return <ColorWidget field={field} {...rest} />;
    case 'boolean':
      return <BooleanWidget field={field} {...rest} />;
    case 'boxes':
      return <BoxesWidget field={field} {...rest} />;
    case 'points':
      return <PointsWidget field={field} {...rest} />;
    case 'json':
      return <JsonWidget field={field} {...rest} />;
  }
}
