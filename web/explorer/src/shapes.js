// A sigma.js 3 node program that draws each node as a filled shape chosen per node:
// a circle, a ring, or a regular polygon (square, diamond, triangle, pentagon, hexagon),
// with an optional dark outline (used for pinned nodes). It is sigma's own NodeCircleProgram
// (one triangle per node, the shape cut out in the fragment shader) with three more
// per-node values, so thousands of nodes of mixed shapes still draw in a single WebGL call.
//
// Display data read from each node (set by the node reducer in main.js):
//   sides  0 circle, -1 ring, 3 or more: a regular polygon with that many sides
//   rot    rotation of the polygon, in radians
//   ring   width of the dark outline as a fraction of the radius (0: none)
import { NodeProgram } from 'sigma/rendering';
import { floatColor } from 'sigma/utils';

const VERTEX = /* glsl */ `
attribute vec4 a_id;
attribute vec4 a_color;
attribute vec2 a_position;
attribute float a_size;
attribute vec3 a_shape;
attribute float a_angle;

uniform mat3 u_matrix;
uniform float u_sizeRatio;
uniform float u_correctionRatio;

varying vec4 v_color;
varying vec2 v_diffVector;
varying float v_radius;
varying vec3 v_shape;

const float bias = 255.0 / 254.0;

void main() {
  float size = a_size * u_correctionRatio / u_sizeRatio * 4.0;
  vec2 diffVector = size * vec2(cos(a_angle), sin(a_angle));
  vec2 position = a_position + diffVector;
  gl_Position = vec4((u_matrix * vec3(position, 1)).xy, 0, 1);

  v_diffVector = diffVector;
  v_radius = size / 2.0;
  v_shape = a_shape;

  #ifdef PICKING_MODE
  v_color = a_id;
  #else
  v_color = a_color;
  #endif
  v_color.a *= bias;
}
`;

const FRAGMENT = /* glsl */ `
precision highp float;

varying vec4 v_color;
varying vec2 v_diffVector;
varying float v_radius;
varying vec3 v_shape;

uniform float u_correctionRatio;

const vec4 transparent = vec4(0.0, 0.0, 0.0, 0.0);
const float PI = 3.14159265359;

// Distance from p to the shape's edge (negative inside), in the units of p.
float shapeDistance(vec2 p, float r) {
  float sides = v_shape.x;
  if (sides < -0.5) {
    // Ring: an annulus from 0.45 r to 0.86 r.
    return abs(length(p) - 0.655 * r) - 0.205 * r;
  }
  if (sides < 0.5) return length(p) - 0.86 * r;
  // Regular polygon of circumradius r.
  float a = atan(p.x, p.y) + v_shape.y;
  float b = 2.0 * PI / sides;
  float d = cos(floor(0.5 + a / b) * b - a) * length(p);
  return d - r * cos(PI / sides);
}

void main(void) {
  float border = u_correctionRatio * 2.0;
  float dist = shapeDistance(v_diffVector, v_radius) + border;

  #ifdef PICKING_MODE
  if (dist > border)
    gl_FragColor = transparent;
  else
    gl_FragColor = v_color;
  #else
  vec4 color = v_color;
  if (v_shape.z > 0.0) {
    // Outline: the band within ring * radius of the edge, darkened.
    float inner = dist + v_shape.z * v_radius;
    float k = clamp(inner / border, 0.0, 1.0);
    color = vec4(mix(color.rgb, color.rgb * 0.25, k), color.a);
  }
  float t = 0.0;
  if (dist > border)
    t = 1.0;
  else if (dist > 0.0)
    t = dist / border;
  gl_FragColor = mix(color, transparent, t);
  #endif
}
`;

const { UNSIGNED_BYTE, FLOAT } = WebGLRenderingContext;

export class NodeShapeProgram extends NodeProgram {
  getDefinition() {
    return {
      VERTICES: 3,
      VERTEX_SHADER_SOURCE: VERTEX,
      FRAGMENT_SHADER_SOURCE: FRAGMENT,
      METHOD: WebGLRenderingContext.TRIANGLES,
      UNIFORMS: ['u_sizeRatio', 'u_correctionRatio', 'u_matrix'],
      ATTRIBUTES: [
        { name: 'a_position', size: 2, type: FLOAT },
        { name: 'a_size', size: 1, type: FLOAT },
        { name: 'a_color', size: 4, type: UNSIGNED_BYTE, normalized: true },
        { name: 'a_id', size: 4, type: UNSIGNED_BYTE, normalized: true },
        { name: 'a_shape', size: 3, type: FLOAT },
      ],
      CONSTANT_ATTRIBUTES: [{ name: 'a_angle', size: 1, type: FLOAT }],
      CONSTANT_DATA: [[0], [(2 * Math.PI) / 3], [(4 * Math.PI) / 3]],
    };
  }

  processVisibleItem(nodeIndex, startIndex, data) {
    const array = this.array;
    array[startIndex++] = data.x;
    array[startIndex++] = data.y;
    array[startIndex++] = data.size;
    array[startIndex++] = floatColor(data.color);
    array[startIndex++] = nodeIndex;
    array[startIndex++] = data.sides || 0;
    array[startIndex++] = data.rot || 0;
    array[startIndex++] = data.ring || 0;
  }

  setUniforms(params, { gl, uniformLocations }) {
    const { u_sizeRatio, u_correctionRatio, u_matrix } = uniformLocations;
    gl.uniform1f(u_correctionRatio, params.correctionRatio);
    gl.uniform1f(u_sizeRatio, params.sizeRatio);
    gl.uniformMatrix3fv(u_matrix, false, params.matrix);
  }
}

// The vertices of the polygon the shader draws, for an SVG legend swatch: centre (cx, cy),
// circumradius r, SVG's y axis pointing down (sigma's graph y axis points up).
export function polygonPoints(sides, rot, cx, cy, r) {
  const pts = [];
  const b = (2 * Math.PI) / sides;
  for (let k = 0; k < sides; k++) {
    const theta = (k + 0.5) * b - rot; // angle from +y towards +x, as atan(x, y) in the shader
    pts.push(`${(cx + r * Math.sin(theta)).toFixed(2)},${(cy - r * Math.cos(theta)).toFixed(2)}`);
  }
  return pts.join(' ');
}
