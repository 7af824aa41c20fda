import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsInt, Max, Min, ValidateIf } from 'class-validator';

/** The rules after it apply only when the field was given. */
export const Given = () => ValidateIf((_object, value) => value !== undefined);

// Query values arrive as strings (an array when repeated): only a plain decimal becomes a number, anything else fails validation as it came.
const toInteger = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value);

/** A whole number in [min, max]; every broken rule reports the same message. */
export const WholeNumber = (name: string, min: number, max: number) => {
  const message = `${name} must be a whole number between ${min} and ${max}`;
  return applyDecorators(IsInt({ message }), Min(min, { message }), Max(max, { message }));
};

/** A query parameter that must be a whole number in [min, max]. */
export const WholeNumberQuery = (name: string, min: number, max: number) => applyDecorators(Transform(toInteger), WholeNumber(name, min, max));
